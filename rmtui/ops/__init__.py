"""Adapters to the outside world: git, gpg, sigstore, keyring, archives, shell."""
