/* How far apart did the host run the threads of a multi-thread measurement?
 *
 * On a VM the host may run two vCPUs close together (one CCD, one L3) or
 * far apart, for minutes at a time. Far apart, every cache line one thread
 * writes and another reads crosses the host's fabric: on a 2-vCPU KVM guest
 * of an AMD EPYC host a line's round trip between the vCPUs was seen to take
 * 320-380 ns instead of 52-61 ns, and a 2-thread conv+bias+relu whose passes
 * read the other thread's output ran 3.4x slower, while 1-thread figures did not move. The check passes one
 * cache line between threads 0 and 1 of a team and compares its round trip
 * with the fastest seen in this process. */
#ifndef QB_CORE_DISTANCE_H
#define QB_CORE_DISTANCE_H

#include <stdbool.h>

/* Nanoseconds per round trip of a cache line between threads 0 and 1 of a
 * 2-thread OpenMP team: QB_CORE_DISTANCE_TRIPS trips after a warm-up, in 8
 * blocks, the fastest block counting (a preemption slows one block, vCPUs
 * far apart slow all); NAN when threads < 2 or a thread waited past QB_CORE_DISTANCE_TIMEOUT_NS
 * (preempted: no answer). *fastest, when not NULL, gets the fastest round
 * trip seen in this process. Call it outside any timed interval: about
 * 2-12 us. */
double qb_core_round_trip_ns(int threads, double *fastest);

/* Whether a round trip of rt ns, against the fastest of `fastest` ns, means
 * the threads ran far apart (QB_CORE_FAR_FACTOR); false when either is NAN. */
bool qb_core_far(double rt, double fastest);

#endif
