/* Did every thread of a multi-thread measurement have a core to itself?
 *
 * On a VM the host can run two vCPUs on the two SMT threads of one physical
 * core, or another guest can use the sibling of ours, for seconds or for a
 * whole run: a compute-bound kernel on N threads then runs well short of N
 * times its one-thread speed, and nothing in its own timing tells why. The
 * check runs one short FMA-throughput block on every thread of the team at
 * once; a thread on a shared core gets part of the FMA ports and takes
 * longer. The fastest time the block ever took in this process is the
 * speed of an unshared core, so the check calibrates itself. */
#ifndef QB_CORE_SHARE_H
#define QB_CORE_SHARE_H

#include <stdbool.h>
#include <stdint.h>

/* The slowest thread's speed over the unshared speed (1: every thread had
 * its core), with `threads` OpenMP threads; 1 when this CPU lacks FMA. Call
 * it outside any timed interval: it takes about 30 us. */
double qb_core_share_speed(int threads);

/* The speed of the slowest of n block times against the fastest ever seen,
 * which *fastest holds (UINT64_MAX before any) and is lowered to the
 * fastest of ns: qb_core_share_speed's arithmetic. */
double qb_core_share_of(const uint64_t *ns, int n, uint64_t *fastest);

/* Whether qb_core_share_speed's answer means a shared core. */
bool qb_core_shared(double speed);

#endif
