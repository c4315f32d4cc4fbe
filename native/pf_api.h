/* pyfantasy.h once (it is also the cffi cdef, which cannot hold include guards). */
#ifndef PF_API_H
#define PF_API_H
#include <stddef.h>
#include <stdint.h>
#include "pyfantasy.h"
#endif
