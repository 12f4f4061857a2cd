// nnc tiled GEMM: one work-group computes a NNC_TM x NNC_TN tile of C, staging NNC_TK-deep slices of A and B in
// local memory; each of its (NNC_TM/NNC_RM) x (NNC_TN/NNC_RN) work-items accumulates an NNC_RM x NNC_RN block in
// registers, its rows and columns strided by the work-group's shape so neighbouring work-items touch neighbouring
// addresses. The tile sizes are build options chosen per device (OpenClModel tunes them at first use); these are
// the defaults.
#ifndef NNC_TM
#define NNC_TM 32
#define NNC_TN 32
#define NNC_TK 16
#define NNC_RM 2
#define NNC_RN 2
#endif
#define NNC_TX (NNC_TN / NNC_RN)
#define NNC_TY (NNC_TM / NNC_RM)
#define NNC_THREADS (NNC_TX * NNC_TY)

// C[i, j] (+)= sum_p op(A)[i, p] * op(B)[p, j] for the tile (tm, tn); op transposes when trans_a / trans_b.
inline void nnc_gemm_tile(__global const float* a, __global const float* b, __global float* c, const long m, const long n,
                          const long k, const long lda, const long ldb, const long ldc, const int trans_a, const int trans_b,
                          const int accumulate, const long tm, const long tn, __local float* as, __local float* bs) {
    const int lid = get_local_id(0);
    const int tx = lid % NNC_TX, ty = lid / NNC_TX;
    const long row0 = tm * NNC_TM, col0 = tn * NNC_TN;
    float acc[NNC_RM][NNC_RN];
    for (int i = 0; i < NNC_RM; i++) for (int j = 0; j < NNC_RN; j++) acc[i][j] = 0.0f;
    for (long k0 = 0; k0 < k; k0 += NNC_TK) {
        for (int e = lid; e < NNC_TM * NNC_TK; e += NNC_THREADS) {
            // walk along memory: along k for a row-major A, along the rows for a transposed one
            const int r = trans_a ? e % NNC_TM : e / NNC_TK, p = trans_a ? e / NNC_TM : e % NNC_TK;
            const long gi = row0 + r, gp = k0 + p;
            as[p * NNC_TM + r] = gi < m && gp < k ? a[trans_a ? gp * lda + gi : gi * lda + gp] : 0.0f;
        }
        for (int e = lid; e < NNC_TK * NNC_TN; e += NNC_THREADS) {
            const int q = trans_b ? e / NNC_TK : e % NNC_TN, p = trans_b ? e % NNC_TK : e / NNC_TN;
            const long gj = col0 + q, gp = k0 + p;
            bs[p * NNC_TN + q] = gj < n && gp < k ? b[trans_b ? gj * ldb + gp : gp * ldb + gj] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int p = 0; p < NNC_TK; p++) {
            float av[NNC_RM], bv[NNC_RN];
            for (int i = 0; i < NNC_RM; i++) av[i] = as[p * NNC_TM + ty + i * NNC_TY];
            for (int j = 0; j < NNC_RN; j++) bv[j] = bs[p * NNC_TN + tx + j * NNC_TX];
            for (int i = 0; i < NNC_RM; i++) for (int j = 0; j < NNC_RN; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < NNC_RM; i++) {
        for (int j = 0; j < NNC_RN; j++) {
            const long gi = row0 + ty + i * NNC_TY, gj = col0 + tx + j * NNC_TX;
            if (gi < m && gj < n) {
                __global float* at = c + gi * ldc + gj;
                *at = accumulate ? *at + acc[i][j] : acc[i][j];
            }
        }
    }
}
