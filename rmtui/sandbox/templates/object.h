#ifndef Py_OBJECT_H
#define Py_OBJECT_H
typedef struct _object { Py_ssize_t ob_refcnt; } PyObject;
#endif /* Py_OBJECT_H */
