/*
 * CHDF5 shim: the parts of the HDF5 C API that Swift cannot import directly.
 *
 * HDF5 spells many of its constants as macros that expand to function calls
 * (`H5T_NATIVE_FLOAT` is `(H5open(), H5T_NATIVE_FLOAT_g)`), and maps several
 * API names to versioned functions with different signatures depending on the
 * library version (H5Literate, H5Oget_info_by_name, H5Lget_info). Swift sees
 * neither, so this header wraps them in small `static inline` functions that
 * compile against HDF5 1.10, 1.12 and 1.14 alike.
 */
#ifndef KCONV_CHDF5_SHIM_H
#define KCONV_CHDF5_SHIM_H

#include <hdf5.h>
#include <stdio.h>

/* ---- constants ---------------------------------------------------------- */

static inline hid_t kc_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t kc_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t kc_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned kc_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline hid_t kc_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline size_t kc_H5T_VARIABLE(void) { return H5T_VARIABLE; }

static inline hid_t kc_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t kc_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t kc_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t kc_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t kc_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t kc_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }

/* ---- errors ------------------------------------------------------------- */

/* Switches off HDF5's automatic printing of error stacks for the calling
 * thread (the error stack is per thread in thread-safe builds). */
static inline herr_t kc_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct {
    char *buf;
    size_t len;
    int found;
} kc_error_walk_ctx;

static inline herr_t kc_error_walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
    kc_error_walk_ctx *ctx = (kc_error_walk_ctx *)data;
    (void)n;
    if (ctx->found || err == NULL || err->desc == NULL || err->desc[0] == '\0')
        return 0;
    snprintf(ctx->buf, ctx->len, "%s", err->desc);
    ctx->found = 1;
    return 0;
}

/* Copies the description of the innermost (most specific) error on the
 * current thread's error stack into buf. Returns 1 if there was one. */
static inline int kc_error_description(char *buf, size_t len) {
    kc_error_walk_ctx ctx;
    if (buf == NULL || len == 0)
        return 0;
    buf[0] = '\0';
    ctx.buf = buf;
    ctx.len = len;
    ctx.found = 0;
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, kc_error_walk_cb, &ctx) < 0)
        return 0;
    return ctx.found;
}

/* ---- files -------------------------------------------------------------- */

/* Uses file locking where the file system supports it, and ignores the lack
 * of it elsewhere (HDF5 >= 1.10.7). Returns 0 when unavailable. */
static inline herr_t kc_set_file_locking(hid_t fapl) {
#if H5_VERSION_GE(1, 10, 7)
    return H5Pset_file_locking(fapl, 1, 1);
#else
    (void)fapl;
    return 0;
#endif
}

/* ---- links and objects -------------------------------------------------- */

/* The H5L_type_t of the link `name` (relative to loc): 0 hard, 1 soft,
 * 64 external; -2 if it cannot be queried. */
static inline int kc_link_type(hid_t loc, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    if (H5Lget_info2(loc, name, &info, H5P_DEFAULT) < 0)
        return -2;
#else
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0)
        return -2;
#endif
    return (int)info.type;
}

/* The H5O_type_t of the object at `name`: 0 group, 1 dataset, 2 named
 * datatype; -2 if it cannot be queried. */
static inline int kc_object_type(hid_t loc, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return -2;
#elif H5_VERSION_GE(1, 10, 3)
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return -2;
#else
    H5O_info_t info;
    if (H5Oget_info_by_name(loc, name, &info, H5P_DEFAULT) < 0)
        return -2;
#endif
    return (int)info.type;
}

/* ---- iteration ---------------------------------------------------------- */

/* Called once per name; return 0 to go on, 1 to stop early. */
typedef int (*kc_name_cb)(const char *name, void *ctx);

typedef struct {
    kc_name_cb cb;
    void *ctx;
} kc_iter_ctx;

#if H5_VERSION_GE(1, 12, 0)
static inline herr_t kc_link_iter_cb(hid_t group, const char *name, const H5L_info2_t *info, void *data)
#else
static inline herr_t kc_link_iter_cb(hid_t group, const char *name, const H5L_info_t *info, void *data)
#endif
{
    kc_iter_ctx *ctx = (kc_iter_ctx *)data;
    (void)group;
    (void)info;
    return (herr_t)ctx->cb(name, ctx->ctx);
}

/* Calls cb with the name of every link in `group`, in increasing name order. */
static inline herr_t kc_iterate_link_names(hid_t group, kc_name_cb cb, void *ctx) {
    kc_iter_ctx iter;
    hsize_t idx = 0;
    iter.cb = cb;
    iter.ctx = ctx;
#if H5_VERSION_GE(1, 12, 0)
    return H5Literate2(group, H5_INDEX_NAME, H5_ITER_INC, &idx, kc_link_iter_cb, &iter);
#else
    return H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, kc_link_iter_cb, &iter);
#endif
}

#endif /* KCONV_CHDF5_SHIM_H */
