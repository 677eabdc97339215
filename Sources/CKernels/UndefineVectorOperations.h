// Ends one instruction set's vector operations for KCONV_DEFINE_ACTIVATIONS (VectorActivations.h),
// so that the next set can define its own. Included once per set: no include guard, on purpose.
#undef V_SET1
#undef V_LOAD
#undef V_STORE
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_FLOOR
#undef V_MIN
#undef V_MAX
#undef V_LT
#undef V_LE
#undef M_OR
#undef V_ZERO_WHERE
#undef V_POW2
