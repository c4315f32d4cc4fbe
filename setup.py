"""Build hook: compiles native/ into pyfantasy._native_lib with cffi (optional)."""
from setuptools import setup

setup(cffi_modules=["native/build_ffi.py:ffibuilder"])
