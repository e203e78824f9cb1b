/* CPU pinning for the calling thread and for OpenMP teams. */
#ifndef QB_PIN_H
#define QB_PIN_H

#include <sched.h>

/* Number of CPUs this process may run on, and the i-th of them. */
int qb_cpu_count(void);
int qb_cpu_nth(int i);

/* Pin the calling thread to one CPU; keep the old mask in *saved (may be NULL). */
int qb_pin_self(int cpu, cpu_set_t *saved);
int qb_unpin_self(const cpu_set_t *saved);

/* Inside an OpenMP parallel region: pin thread t of the team to the t-th allowed CPU. */
int qb_omp_pin_thread(void);

/* Pin the calling thread to the first allowed CPU (its old mask in *saved)
 * and each thread of an OpenMP team of `threads` to its own CPU; OpenMP
 * reuses those threads for every smaller team. Undo the first with
 * qb_unpin_self. */
int qb_pin_team(int threads, cpu_set_t *saved);

#endif
