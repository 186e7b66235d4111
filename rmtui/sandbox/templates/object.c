#include "Python.h"

Py_ssize_t
Py_SandboxRefcount(PyObject *op)
{
    return op->ob_refcnt;
}
