/* Roofline analysis of operator records: places each ops/... record under
 * the ceilings and appends roofline/... records with the verdict. */
#ifndef QB_ROOFLINE_H
#define QB_ROOFLINE_H

#include "results.h"
#include "roofline_model.h"

#include <stdbool.h>

/* The roof a data type's operator runs under, from its params dtype and isa:
 * int8 on AVX512-VNNI under the int8-vnni-zmm (isa avx512vnni) or int8-vnni
 * (avx512vnni-ymm) peak, fp32 and fp16 on AVX-512 tiles under fp32-avx512. */
const char *qb_roofline_ceiling_dtype(const qb_record *ops_record);
/* The same, falling back to the record's dtype when the ceilings lack that
 * peak (a profile of an older build); NULL when they lack both. */
const char *qb_roofline_roof_dtype(const qb_ceilings *c, const qb_record *ops_record);

/* Analyse every ops/... record of `in` measured with `threads` threads and
 * append roofline records, plus roofline.ceiling/... records describing c, to
 * out. Records whose dtype has no ceiling are an input error. */
int qb_roofline_records(const qb_results *in, const qb_ceilings *c, int threads, bool cache_aware,
                        qb_results *out);

/* The text table of roofline records. */
void qb_roofline_print(const qb_results *res);

/* Write one chart per thread count of the roofline records in res to dir:
 * roofline.{dat,gp,svg} for the largest count, roofline-t<N>.* for the others
 * (qb_roofline_chart_name). The first failure is returned, after every chart
 * was tried. */
int qb_roofline_chart(const qb_results *res, const char *dir);
int qb_roofline_chart_threads(const qb_results *res, const char *dir, int threads);
int qb_roofline_chart_name(const qb_results *res, int threads, char *name, size_t len);

/* The thread counts of res's roofline.ceiling records, in the order found. */
int qb_roofline_thread_counts(const qb_results *res, int *threads, int max);

/* Rebuild the ceilings of one thread count (<= 0: the largest present) from
 * the roofline.ceiling/... records of a roofline document. */
int qb_roofline_ceilings_of(const qb_results *res, int threads, qb_ceilings *c);

#endif
