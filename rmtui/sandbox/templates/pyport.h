#ifndef Py_PYPORT_H
#define Py_PYPORT_H
typedef long Py_ssize_t;
#endif /* Py_PYPORT_H */
