"""The time loops' matrix products through Intel MKL where its wheel is installed (optional), NumPy's BLAS otherwise.

The forward and backward passes multiply by the same matrix at every step: ``h_{t-1} @ W_hh^T`` for T steps, then
``w @ W_hh`` for T steps, with B rows (or a block of them) each time. NumPy's BLAS (OpenBLAS in its wheels) repacks
``W_hh`` into its internal layout at every call; MKL packs it once (``cblas_dgemm_pack``) and reuses the packed copy
(``cblas_dgemm_compute``), and its kernels for few rows are faster. Single-threaded, measured on an AVX-512 Xeon:
(64 x 256) @ (256 x 256) 138 us with OpenBLAS, 96 us packed with MKL; (32 x 256) rows 80 us and 59 us; the
parameter gradients' (256 x 1024) @ (1024 x 256) 2.09 ms and 1.86 ms. PyTorch's CPU build uses MKL too, so with it
both sides of ``benchmarks/bench_core.py`` run the same products.

Optional, like numba (``requirements-dev.txt`` installs it on x86-64 Linux; the dashboard's ``requirements.txt``
does not): ``pip install mkl`` puts ``libmkl_rt`` in ``sys.prefix/lib``; :data:`ENABLED` says whether it was found
and taken. It is taken only when NumPy's own BLAS is the OpenBLAS of NumPy's wheels (``threads.serial_blas`` found
it): a NumPy built on MKL already multiplies with MKL, and choosing MKL's threading layer here would change NumPy's
own products; nor when another MKL's symbols are already global in the process (PyTorch with
``TORCH_USE_RTLD_GLOBAL=1``). MKL runs sequentially (its sequential layer: no OpenMP runtime is loaded), one product
per thread, as the row blocks of :mod:`rnn_core.threads` expect, with 32-bit integers (its LP64 interface, whatever
``MKL_INTERFACE_LAYER`` says). ``RNN_CORE_MKL=0`` turns it off.

Results: MKL's products agree with OpenBLAS's to rounding (the tests assert that), and to the bit on many shapes,
not all (33 x 129 x 257, and the gram product at N = 256: 1e-15 relative). Within one process every pass takes the
same library for the same product (see :data:`MIN_WORK`), and MKL rounds a row alike in a block of rows and in the
whole batch (every shape tried), so with MKL the passes' numbers do not depend on the row blocks or the number of
cores, and ``gradients()`` equals ``backward()`` + ``param_grads()`` bit for bit (tested).
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
from collections.abc import Callable

import numpy as np

from . import threads

Array = np.ndarray

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # CBLAS enums
_B_MATRIX, _PACKED = 162, 151  # which operand is packed; "this operand is packed"
_SEQUENTIAL = 1  # MKL_THREADING_SEQUENTIAL
_LP64 = 0  # MKL_INTERFACE_LP64: 32-bit integers, as the bindings below pass them
# When MKL pays. A call through ctypes costs ~2 us (np.dot ~0.6), and two threads calling at once contend for the
# GIL while ctypes converts the arguments. Measured single-threaded (rows x N x N, time MKL packed / OpenBLAS):
# N = 64: 1.18-3.3 for 2 to 64 rows; N = 128: 1.06 at 8 rows, 0.89 at 16, 0.68 at 64; N = 256: 0.46-0.89 from 2 rows
# on. In the workloads: (N, B) = (128, 16), forward in two blocks of 8 rows, 1.05-1.1x slower through MKL. So: a
# matrix of at least MIN_MATRIX entries, and a whole batch of at least MIN_WORK multiply-adds a step. Both depend on
# the network and the batch, not on how the rows are split: every block of a pass, on any number of cores, takes
# the same library.
MIN_MATRIX = 2**14
MIN_WORK = 2**19


def _mkl_already_global() -> bool:
    """Whether another MKL's symbols are already visible process-wide (PyTorch loaded with
    ``TORCH_USE_RTLD_GLOBAL=1`` exports its statically linked MKL): the wheel's MKL would bind some of its internal
    calls to that other version."""
    try:
        return hasattr(ctypes.CDLL(None), "mkl_blas_dgemm")
    except OSError:
        return False


def _load() -> ctypes.CDLL | None:
    """libmkl_rt with the sequential threading layer, or None (not installed, turned off, NumPy not on OpenBLAS,
    another MKL already loaded globally)."""
    if os.environ.get("RNN_CORE_MKL", "1") == "0" or threads.serial_blas.setter is None or _mkl_already_global():
        return None
    prefixes = dict.fromkeys((sys.prefix, sys.base_prefix))  # a venv's own first
    for path in (p for d in prefixes for p in sorted(glob.glob(os.path.join(d, "lib", "libmkl_rt.so*")))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        try:
            for name in ("MKL_Set_Interface_Layer", "MKL_Set_Threading_Layer"):
                getattr(lib, name).argtypes, getattr(lib, name).restype = [ctypes.c_int], ctypes.c_int
            # 32-bit integers whatever MKL_INTERFACE_LAYER says (ILP64 would read these ints as 64-bit: a crash);
            # either layer already chosen otherwise (by someone else, or the environment): not ours to change
            if lib.MKL_Set_Interface_Layer(_LP64) != _LP64 or lib.MKL_Set_Threading_Layer(_SEQUENTIAL) != _SEQUENTIAL:
                return None
            i, p, d = ctypes.c_int, ctypes.c_void_p, ctypes.c_double
            lib.cblas_dgemm.argtypes = [i, i, i, i, i, i, d, p, i, p, i, d, p, i]
            lib.cblas_dgemm.restype = None
            lib.cblas_dgemm_pack_get_size.argtypes = [i, i, i, i]
            lib.cblas_dgemm_pack_get_size.restype = ctypes.c_size_t
            lib.cblas_dgemm_pack.argtypes = [i, i, i, i, i, i, d, p, i, p]
            lib.cblas_dgemm_pack.restype = None
            lib.cblas_dgemm_compute.argtypes = [i, i, i, i, i, i, p, i, p, i, d, p, i]
            lib.cblas_dgemm_compute.restype = None
        except AttributeError:  # an MKL too old for the packed products (before 2017)
            continue
        return lib
    return None


_mkl = _load()
ENABLED = _mkl is not None


def _ld(a: Array, rows: int, cols: int) -> int:
    """The leading dimension (elements from one row to the next) of a float64 (rows, cols) matrix BLAS can read in
    place (unit column stride, rows at least ``cols`` apart), or 0 where it cannot."""
    if a.dtype != np.float64 or a.ndim != 2 or a.shape != (rows, cols) or (cols > 1 and a.strides[1] != 8):
        return 0
    if rows == 1:
        return cols  # NumPy may give a single row any stride
    return a.strides[0] // 8 if a.strides[0] % 8 == 0 and a.strides[0] >= 8 * cols else 0


StepProduct = Callable[[int, int], None]


def right_products(a: Array, M: Array, out: Array, *, batch_rows: int) -> StepProduct | None:
    """``product(i, j)``: ``out[j] = a[i] @ M``, with ``M`` packed once for all calls; None without MKL or below
    :data:`MIN_MATRIX`, :data:`MIN_WORK` (the caller then multiplies with NumPy).

    ``a`` and ``out`` are stacks of (R, K) and (R, N) matrices along their first axis (per-step views of a time loop)
    or single matrices (then the index is ignored); ``M`` is (K, N). Their rows must be evenly spaced with unit
    column stride (a block of rows of a (T+1, B, N) array is). ``batch_rows``: the rows of the whole batch, of which
    ``a`` may be one block; MKL or NumPy is chosen by the whole batch's work, so that every block of a pass, and the
    same pass split differently (``backward`` in row blocks, ``gradients`` in one), take the same library and give
    the same numbers. The arrays must outlive the returned function (it keeps references to them).
    """
    if _mkl is None or M.ndim != 2 or M.dtype != np.float64:
        return None
    K, N = M.shape
    a3, o3 = (x if x.ndim == 3 else x[None] for x in (a, out))
    if a3.ndim != 3 or o3.ndim != 3:
        return None
    R = a3.shape[1]
    lda, ldo = _ld(a3[0], R, K), _ld(o3[0], R, N)
    if K * N < MIN_MATRIX or max(R, batch_rows) * K * N < MIN_WORK or not lda or not ldo:
        return None
    Mc = np.ascontiguousarray(M)
    packed = np.empty(-(-int(_mkl.cblas_dgemm_pack_get_size(_B_MATRIX, R, N, K)) // 8))
    _mkl.cblas_dgemm_pack(_ROW_MAJOR, _B_MATRIX, _NO_TRANS, R, N, K, 1.0, Mc.ctypes.data, N, packed.ctypes.data)
    # addresses computed, not taken from views (``x.ctypes.data`` costs ~1.5 us, a whole small product's time)
    a0, a_step = a3.ctypes.data, a3.strides[0]
    o0, o_step = o3.ctypes.data, o3.strides[0]
    compute, p0 = _mkl.cblas_dgemm_compute, packed.ctypes.data
    keep = (a3, o3, packed)  # alive as long as the closure

    def product(i: int, j: int) -> None:
        compute(_ROW_MAJOR, _NO_TRANS, _PACKED, R, N, K, a0 + i * a_step, lda, p0, N, 0.0, o0 + j * o_step, ldo)
    product.keep = keep  # type: ignore[attr-defined]
    return product


def step_products(a: Array, M: Array, out: Array, *, batch_rows: int) -> StepProduct:
    """``product(i, j)``: ``out[j] = a[i] @ M`` (an index is ignored where its array is a single matrix): MKL's
    packed products where :func:`right_products` takes them, NumPy's otherwise.

    ``M`` may carry leading dimensions (a stack of networks: then NumPy's ``matmul``); ``a`` and ``out`` have those
    of ``M`` plus, optionally, a first axis of steps. Per-step views are made once: at N = 64, B = 1 making a view
    costs about as much as the product.
    """
    mkl = right_products(a, M, out, batch_rows=batch_rows) if M.ndim == 2 else None
    if mkl is not None:
        return mkl
    al, ol = (list(x) if x.ndim > M.ndim else [x] for x in (a, out))
    mm = np.dot if M.ndim == 2 else np.matmul
    if len(al) == 1:
        return lambda _, j: mm(al[0], M, out=ol[j])
    if len(ol) == 1:
        return lambda i, _: mm(al[i], M, out=ol[0])
    return lambda i, j: mm(al[i], M, out=ol[j])


def gram(a: Array, b: Array, out: Array) -> bool:
    """``out = a.T @ b`` for (L, M) and (L, N) matrices into a C-contiguous (M, N) ``out``; through MKL where it is
    loaded and the rows are evenly spaced (returns whether it was), NumPy otherwise."""
    if _mkl is not None and a.ndim == 2 and b.ndim == 2:
        L, M = a.shape
        N = b.shape[1]
        lda, ldb = _ld(a, L, M), _ld(b, L, N)
        if lda and ldb and L >= 1 and out.shape == (M, N) and out.dtype == np.float64 and out.flags.c_contiguous:
            _mkl.cblas_dgemm(_ROW_MAJOR, _TRANS, _NO_TRANS, M, N, L, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb,
                             0.0, out.ctypes.data, N)
            return True
    np.dot(a.T, b, out=out)
    return False
