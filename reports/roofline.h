/* Roofline analysis of operator records: places each ops/... record under
 * the ceilings and appends roofline/... records with the verdict. */
#ifndef QB_ROOFLINE_H
#define QB_ROOFLINE_H

#include "results.h"
#include "roofline_model.h"

#include <stdbool.h>

/* The roof a data type's operator runs under: "int8" operators that used
 * AVX512-VNNI (param isa) run under the int8-vnni peak. */
const char *qb_roofline_ceiling_dtype(const qb_record *ops_record);

/* Analyse every ops/... record of `in` measured with `threads` threads and
 * append roofline records, plus roofline.ceiling/... records describing c, to
 * out. Records whose dtype has no ceiling are an input error. */
int qb_roofline_records(const qb_results *in, const qb_ceilings *c, int threads, bool cache_aware,
                        qb_results *out);

/* The text table of roofline records. */
void qb_roofline_print(const qb_results *res);

/* Write the chart of the roofline records in res to dir/roofline.{dat,gp,svg}. */
int qb_roofline_chart(const qb_results *res, const char *dir);

/* Rebuild the ceilings of one thread count (<= 0: the largest present) from
 * the roofline.ceiling/... records of a roofline document. */
int qb_roofline_ceilings_of(const qb_results *res, int threads, qb_ceilings *c);

#endif
