/* Entry point of the Python C API, reduced to what the rehearsal sandbox needs. */
#ifndef Py_PYTHON_H
#define Py_PYTHON_H

#include "patchlevel.h"
#include "pyport.h"
#include "object.h"

#endif /* !Py_PYTHON_H */
