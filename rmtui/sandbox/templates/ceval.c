/* Execute compiled code: in the rehearsal sandbox, a single trivial loop. */

#include "Python.h"

Py_ssize_t
PyEval_SandboxSum(const Py_ssize_t *values, Py_ssize_t count)
{
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        total += values[i];
    }
    return total;
}
