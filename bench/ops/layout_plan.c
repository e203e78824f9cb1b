/* Layout plans: building and running them (see layout_plan.h). */
#include "layout_plan.h"

#include "error.h"
#include "layout_kern.h"
#include "ops_mem_util.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/* Drop size-1 axes and merge axes adjacent in both orders; pad back to four
 * axes with leading size-1 ones. */
static void simplify(const size_t d[4], const int p[4], size_t dd[4], int pp[4])
{
    int rank[4], nk = 0;
    for (int k = 0; k < 4; k++)
        rank[k] = d[k] > 1 ? nk++ : -1;
    size_t gsize[4];
    int gfirst[4], ng = 0, prev = -2;
    for (int j = 0; j < 4; j++) {
        const int k = p[j];
        if (d[k] == 1) continue;
        if (ng > 0 && rank[k] == prev + 1) {
            gsize[ng - 1] *= d[k];
        } else {
            gfirst[ng] = rank[k];
            gsize[ng] = d[k];
            ng++;
        }
        prev = rank[k];
    }
    /* groups are in output order; their input order is the order of gfirst */
    int in_pos[4];
    for (int g = 0; g < ng; g++) {
        in_pos[g] = 0;
        for (int h = 0; h < ng; h++)
            in_pos[g] += gfirst[h] < gfirst[g];
    }
    const int pad = 4 - ng;
    for (int k = 0; k < 4; k++)
        dd[k] = 1;
    for (int j = 0; j < pad; j++)
        pp[j] = j;
    for (int g = 0; g < ng; g++) {
        dd[pad + in_pos[g]] = gsize[g];
        pp[pad + g] = pad + in_pos[g];
    }
}

void qb_lay_plan_permute(const size_t dims[4], const int perm[4], size_t esz, qb_lay_plan *p)
{
    memset(p, 0, sizeof *p);
    p->esz = esz;
    size_t d[4];
    int q[4];
    simplify(dims, perm, d, q);
    size_t is[4], os[4], os_of[4];
    is[3] = 1;
    os[3] = 1;
    for (int k = 2; k >= 0; k--) {
        is[k] = is[k + 1] * d[k + 1];
        os[k] = os[k + 1] * d[q[k + 1]];
    }
    for (int j = 0; j < 4; j++)
        os_of[q[j]] = os[j];
    if (q[3] == 3) {
        p->len = d[3];
        p->nrows = d[q[0]] * d[q[1]] * d[q[2]];
        p->nouter = 3;
        for (int j = 0; j < 3; j++) {
            p->odim[j] = d[q[j]];
            p->ois[j] = is[q[j]];
        }
        return;
    }
    p->transpose = true;
    const int a = q[3];
    p->rows = d[a];
    p->ss = is[a];
    p->cols = d[3];
    p->ds = os_of[3];
    int n = 0;
    for (int j = 0; j < 4; j++) { /* the other two axes, in output order */
        const int k = q[j];
        if (k == a || k == 3) continue;
        p->tdim[n] = d[k];
        p->tis[n] = is[k];
        p->tos[n] = os_of[k];
        n++;
    }
}

void qb_lay_plan_rows(size_t nrows, size_t len, size_t esz, qb_lay_row_fn fn, const void *ctx,
                      qb_lay_plan *p)
{
    memset(p, 0, sizeof *p);
    p->esz = esz;
    p->nrows = nrows;
    p->len = len;
    p->row_src = fn;
    p->ctx = ctx;
}

static size_t row_offset(const qb_lay_plan *p, size_t r, int *which)
{
    if (p->row_src) return p->row_src(p->ctx, r, which);
    *which = 0;
    size_t off = 0;
    for (int j = p->nouter - 1; j >= 0; j--) {
        off += r % p->odim[j] * p->ois[j];
        r /= p->odim[j];
    }
    return off;
}

/* A thread's share of a rows plan: [lo, hi) of the dense output. Long rows
 * are copied (streamed) straight; short rows are first gathered into the
 * scratch so the output is streamed as whole aligned lines, not as pieces
 * whose partial lines at each row joint would be written twice. */
static void exec_rows(const qb_lay_plan *p, const void *const *src, void *dst, bool nt, void *tmp,
                      int t, int nt_threads)
{
    const size_t esz = p->esz, total = p->nrows * p->len;
    size_t lo, hi;
    qb_mo_span(total, t, nt_threads, 64, &lo, &hi);
    unsigned char *d = dst;
    const bool staged = nt && p->len * esz < QB_LAY_STAGE_ROW_BYTES;
    const size_t chunk = QB_LAY_STAGE_BYTES / esz;
    const size_t pf_rows = (QB_LAY_PF_BYTES + p->len * esz - 1) / (p->len * esz);
    for (size_t c0 = lo; c0 < hi; c0 += staged ? chunk : hi - lo) {
        const size_t c1 = staged && hi - c0 > chunk ? c0 + chunk : hi;
        for (size_t i = c0; i < c1;) {
            const size_t r = i / p->len, off = i % p->len;
            const size_t m = p->len - off < c1 - i ? p->len - off : c1 - i;
            int which;
            /* short rows: the hardware streamer retrains at every row start,
             * so fetch the row QB_LAY_PF_BYTES ahead into L2 ourselves (once,
             * when this row's first piece is copied) */
            if (staged && off == 0 && r + pf_rows < p->nrows) {
                const size_t po = row_offset(p, r + pf_rows, &which);
                const char *ps = (const char *)src[which] + po * esz;
                for (size_t b = 0; b < p->len * esz; b += 64)
                    _mm_prefetch(ps + b, _MM_HINT_T1);
            }
            const size_t so = row_offset(p, r, &which) + off;
            const unsigned char *s = (const unsigned char *)src[which] + so * esz;
            if (staged)
                memcpy((unsigned char *)tmp + (i - c0) * esz, s, m * esz);
            else
                qb_lay_copy(d + i * esz, s, m * esz, nt);
            i += m;
        }
        if (staged) qb_lay_copy(d + c0 * esz, tmp, (c1 - c0) * esz, true);
    }
}

/* Transpose blocks of br x bc elements: both the br source rows read and
 * the bc destination rows written are runs of QB_LAY_RUN_BYTES. */
static size_t block_elems(size_t esz)
{
    return QB_LAY_RUN_BYTES / esz;
}

/* Task k: its block's source offset, destination offset and extent. Tasks
 * are (outer, outer, row block, column block), the column block innermost:
 * consecutive tasks continue along the same source rows. */
typedef struct {
    size_t so, doff, rows, cols;
} tr_task;

static void task_of(const qb_lay_plan *p, size_t k, size_t rb, size_t cb, size_t o1, tr_task *t)
{
    const size_t B = block_elems(p->esz);
    const size_t ci = k % cb, ri = k / cb % rb, a1 = k / (rb * cb) % o1, a0 = k / (rb * cb * o1);
    const size_t i0 = ri * B, j0 = ci * B;
    t->so = a0 * p->tis[0] + a1 * p->tis[1] + i0 * p->ss + j0;
    t->doff = a0 * p->tos[0] + a1 * p->tos[1] + j0 * p->ds + i0;
    t->rows = p->rows - i0 < B ? p->rows - i0 : B;
    t->cols = p->cols - j0 < B ? p->cols - j0 : B;
}

static void exec_transpose(const qb_lay_plan *p, const void *src, void *dst, bool nt, void *tmp,
                           int t, int nt_threads)
{
    const size_t esz = p->esz, B = block_elems(esz);
    const size_t rb = (p->rows + B - 1) / B, cb = (p->cols + B - 1) / B;
    const size_t o0 = p->tdim[0] ? p->tdim[0] : 1, o1 = p->tdim[1] ? p->tdim[1] : 1;
    size_t lo, hi;
    qb_mo_span(o0 * o1 * cb * rb, t, nt_threads, 1, &lo, &hi);
    const unsigned char *s = src;
    unsigned char *d = dst;
    for (size_t k = lo; k < hi; k++) {
        tr_task tk;
        /* the source lines of the block QB_LAY_PF_TASKS tasks on (the same
         * rows, further along them when the column block is innermost): a
         * few lines from each of many rows, which the hardware prefetchers do
         * not fetch in time; into L2 (T1), as L1 prefetches are throttled
         * too early to help. Issued a strip at a time, between the strips'
         * transposes, so the misses stay spread out. */
        tr_task pf = {0};
        const bool prefetch = k + QB_LAY_PF_TASKS < hi;
        if (prefetch) task_of(p, k + QB_LAY_PF_TASKS, rb, cb, o1, &pf);
        task_of(p, k, rb, cb, o1, &tk);
        for (size_t r0 = 0; r0 < tk.rows; r0 += QB_LAY_STRIP) {
            const size_t nr = tk.rows - r0 < QB_LAY_STRIP ? tk.rows - r0 : QB_LAY_STRIP;
            if (prefetch)
                for (size_t r = r0; r < r0 + nr && r < pf.rows; r++)
                    for (size_t b = 0; b < pf.cols * esz; b += 64)
                        _mm_prefetch((const char *)s + (pf.so + r * p->ss) * esz + b, _MM_HINT_T1);
            const unsigned char *sr = s + (tk.so + r0 * p->ss) * esz;
            if (nt)
                qb_lay_tr(sr, p->ss, (unsigned char *)tmp + r0 * esz, tk.rows, nr, tk.cols, esz);
            else
                qb_lay_tr(sr, p->ss, d + (tk.doff + r0) * esz, p->ds, nr, tk.cols, esz);
        }
        if (!nt) continue;
        /* streamed from the scratch: each destination row piece is a run of
         * whole lines (one run when the block spans full rows) */
        if (p->ds == tk.rows) {
            qb_lay_copy(d + tk.doff * esz, tmp, tk.rows * tk.cols * esz, true);
        } else {
            for (size_t j = 0; j < tk.cols; j++)
                qb_lay_copy(d + (tk.doff + j * p->ds) * esz,
                            (unsigned char *)tmp + j * tk.rows * esz, tk.rows * esz, true);
        }
    }
}

void qb_lay_exec(const qb_lay_plan *p, const void *const *src, void *dst, bool nt, void *tmp, int t,
                 int nt_threads)
{
    if (p->transpose)
        exec_transpose(p, src[0], dst, nt, tmp, t, nt_threads);
    else
        exec_rows(p, src, dst, nt, tmp, t, nt_threads);
}

int qb_lay_permute(const void *src, void *dst, const size_t dims[4], const int perm[4], size_t esz)
{
    void *tmp = aligned_alloc(64, QB_LAY_TMP_BYTES);
    if (!tmp) return qb_fail(QB_ENOMEM, "out of memory for a layout change");
    qb_lay_plan p;
    qb_lay_plan_permute(dims, perm, esz, &p);
    const void *s[1] = {src};
    qb_lay_exec(&p, s, dst, false, tmp, 0, 1);
    free(tmp);
    return QB_OK;
}
