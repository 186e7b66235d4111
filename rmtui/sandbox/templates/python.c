int Py_SandboxMain(void);

int
main(void)
{
    return Py_SandboxMain();
}
