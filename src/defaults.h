/* Every tunable default, named once. --help prints them and every results
 * document records the values a run used (qb_settings_json). */
#ifndef QB_DEFAULTS_H
#define QB_DEFAULTS_H

/* Repetition policy (src/repeat.c). */
#define QB_WARMUP_DEFAULT 2          /* trials run and discarded before measuring */
#define QB_MIN_REPS_DEFAULT 9        /* kept samples before the stop rule may end a measurement */
#define QB_MAX_REPS_DEFAULT 41       /* kept samples at most */
#define QB_BUDGET_S_DEFAULT 0.6      /* seconds one measurement may take before it stops early */
#define QB_TARGET_CV_DEFAULT 0.01    /* stop once the coefficient of variation is below this */
#define QB_MAX_DROPPED_DEFAULT 20    /* preempted trials dropped before keeping them anyway */

/* Interleaved rounds per measurement (src/pooled.h explains why). */
#define QB_ROUNDS_DEFAULT 3
#define QB_QUICK_ROUNDS 2

/* --quick shrinks the policy to this. */
#define QB_QUICK_MIN_REPS 5
#define QB_QUICK_MAX_REPS 9
#define QB_QUICK_BUDGET_S 0.15

/* qbench run --quick: passes over the whole suite, each one round of this many
 * samples, so each metric's samples come from moments tens of seconds apart. */
#define QB_RUN_QUICK_PASSES 3
#define QB_RUN_QUICK_PASS_REPS 3
#define QB_RUN_QUICK_PASS_MAX_REPS 5

/* qbench history (reports/history*.c, changepoint.c, trend.c). */
#define QB_HISTORY_WAIT_S_DEFAULT 10       /* seconds a locked database is waited for */
#define QB_HISTORY_LAST_DEFAULT 100        /* runs per series that detect (and the report) look at */
#define QB_HISTORY_MIN_EFFECT_DEFAULT 0.05 /* a step or trend smaller than this relative change is not reported */
#define QB_HISTORY_ALPHA_DEFAULT 0.01      /* a step's permutation p-value, a trend's Mann-Kendall p-value */
#define QB_HISTORY_PENALTY_DEFAULT 3.0     /* cost of one more change point: this x ln(runs), in units of the noise */
#define QB_HISTORY_MIN_SEGMENT 3           /* runs on each side of a step */
#define QB_HISTORY_PERMUTATIONS 999        /* shuffles behind a step's p-value */
#define QB_HISTORY_SEED 1                  /* of those shuffles: the same runs give the same answer */
/* qbench compare --history: the base side is the last runs of one branch on
 * the new run's machine. */
#define QB_HISTORY_GATE_LAST_DEFAULT 5
#define QB_HISTORY_GATE_BRANCH_DEFAULT "main"

/* Core-clock calibration (src/clock.c): dependent adds per calibration run. */
#define QB_CALIB_ADDS_DEFAULT 2000000
/* Each side of a bracket: the fastest of this many chains of this many adds. */
#define QB_BRACKET_ADDS_DEFAULT 300000
#define QB_BRACKET_RUNS_DEFAULT 3
/* Bracketing calibrations that differ by more than this mark the trial as clock-changed. */
#define QB_CALIB_DRIFT_MAX 0.03

/* Instruction and peak probes: the length of one timed trial (the loop count
 * is sized from a short pilot run to take about this long). */
#define QB_INST_TRIAL_US_DEFAULT 300
#define QB_PEAK_TRIAL_US_DEFAULT 2000
/* A trial times its kernel this many times and keeps the fastest run (the
 * one least disturbed); the samples across trials give the spread. */
#define QB_INST_BEST_OF_DEFAULT 3

/* Roofline (reports/): a stored machine profile older than this is measured again. */
#define QB_PROFILE_MAX_AGE_DAYS 30

/* Quantization error (bench/quant/, qbench quant). */
#define QB_OPS_WEIGHT_SPREAD 8.0 /* operators' weights: largest / smallest output-channel range */
#define QB_QUANT_INPUT_DEFAULT "gaussian:256x256" /* synthetic tensor when no --op is given */
#define QB_QUANT_SEED_DEFAULT 1            /* trial t draws its tensor from stream (seed, t) */
#define QB_NET_SEED_DEFAULT 1              /* the zoo models' random weights */
#define QB_QUANT_TARGET_RSE_DEFAULT 0.001  /* auto trials: stop once SE/mean is below this */
#define QB_QUANT_MIN_TRIALS_DEFAULT 200    /* auto trials: at least this many (rare scales, e.g. a pow2 step, must show up) */
#define QB_QUANT_MAX_TRIALS_DEFAULT 1000000
#define QB_QUANT_BUDGET_S_DEFAULT 10.0     /* auto trials: seconds per policy at most */
#define QB_QUANT_QUICK_BUDGET_S 1.0
#define QB_QUANT_MEM_FRACTION 0.5          /* tensors may use this share of physical memory */

/* Operator fusion (bench/fuse/, qbench fuse). */
#define QB_FUSE_ELEMS_DEFAULT (16L << 20)  /* elements of the relu((x+1+2)*2) chain */
#define QB_FUSE_ROUNDS_DEFAULT 2           /* interleaved rounds per form (17 forms in all) */
#define QB_FUSE_BUDGET_S_DEFAULT 0.3       /* seconds per form and round: the run stays under 30 s */

/* qbench compare (reports/compare*.c): a metric regresses when its value moves
 * the bad way by more than the threshold and the noise floor, and the U test
 * on the samples is significant at alpha. */
#define QB_COMPARE_THRESHOLD_DEFAULT 0.05  /* relative change of the reported values */
#define QB_COMPARE_ALPHA_DEFAULT 0.05      /* two-sided Mann-Whitney U test */
#define QB_COMPARE_NOISE_DEFAULT 1.5       /* noise floor = this x both runs' p10..p90 widths (relative to their values) in quadrature */
#define QB_COMPARE_NOISE_VOTE_DEFAULT 0.75 /* with 3 or more pairs voting: each pair's floor (the vote guards against false alarms) */
#define QB_COMPARE_MAX_PAIRS 16 /* base/new pairs one compare takes (scripts/ci-regression.sh checks QB_CI_PASSES against it) */
#define QB_COMPARE_MIN_SAMPLES_DEFAULT 5   /* per file; fewer makes a change "unreliable" */
/* A Markdown comparison is a CI comment, and GitHub takes at most 65,536
 * characters in one: the notable rows come worst first, at most this many,
 * and the table of every metric only while the whole stays under the limit. */
#define QB_COMPARE_MD_ROWS 100
#define QB_COMPARE_MD_CHARS 65000

/* The regression gate (reports/gate*.c, qbench compare --gate and qbench ab):
 * each record's primary metric judged on its per-round medians. */
#define QB_GATE_MIN_EFFECT_DEFAULT 0.05 /* a change smaller than this never gates */
#define QB_GATE_ALPHA_DEFAULT 0.01      /* two-sided Mann-Whitney U test on the round medians */
#define QB_GATE_MIN_ROUNDS_DEFAULT 5    /* per side; fewer: the metric is not judged, with a warning */
#define QB_GATE_POWER 0.8               /* the detectable change is the one found this often */
#define QB_GATE_JUNIT_NAME "qbench gate"

/* qbench ab: each benchmark group runs --rounds times per side, in
 * alternating order, each time as `qbench ops --op OP` with these settings. */
#define QB_AB_ROUNDS_DEFAULT 4
#define QB_AB_OPS_DEFAULT "gemm,conv,matmul,relu,add,softmax"
#define QB_AB_DTYPES "fp32,int8"
#define QB_AB_CHILD_ROUNDS "2"          /* rounds of each child measurement (its --rounds) */

/* The shared-core check of multi-thread operator trials (src/core_share.c):
 * an FMA block of this many turns (about 27 us at 3.7 GHz) on every thread;
 * a trial whose slowest thread ran below this share of the fastest speed
 * seen found a core shared (two vCPUs on one core, or a busy SMT sibling,
 * halves it) and is dropped like a preempted one. */
#define QB_CORE_SHARE_TURNS 4096
#define QB_CORE_SHARED_SPEED 0.8

/* The distance check beside the same trials (src/core_distance.c): one
 * cache line passed between threads 0 and 1 this many times (8 blocks, the
 * fastest counts); a round trip over this multiple of the fastest seen
 * means the host ran the vCPUs far apart (near and far differ 5-7x on a
 * multi-chiplet host, e.g. 52-61 ns against 320-380 ns). The record says so; the trial is kept, since the state lasts
 * minutes. */
#define QB_CORE_DISTANCE_TRIPS 32
#define QB_CORE_FAR_FACTOR 3.0
#define QB_CORE_DISTANCE_TIMEOUT_NS 1000000 /* a line stalled this long: a vCPU was preempted, no answer */

/* Memory probe (probes/mem/, qbench probe mem). */
#define QB_MEM_PER_OCTAVE_DEFAULT 2   /* sweep points per doubling of the working set */
#define QB_MEM_QUICK_PER_OCTAVE 1
/* An AMD core reaches only its own core complex's L3: 96 MiB on the largest
 * (stacked-cache) parts. A larger L3 in cpuid's older leaf is a package total. */
#define QB_AMD_CCX_L3_MAX_BYTES (96L << 20)
#define QB_MEM_LLC_MULTIPLE 4         /* the sweep ends at this multiple of sysfs's last cache */
/* --quick ends it at twice: a streaming kernel over twice an LRU cache
 * misses on every line already, and the two largest points of the full
 * sweep were half of the quick probe's time and most of its memory. */
#define QB_MEM_QUICK_LLC_MULTIPLE 2
#define QB_MEM_TRIAL_US_DEFAULT 1000  /* one timed trial (passes sized from a pilot) */
#define QB_MEM_QUICK_TRIAL_US 500
#define QB_MEM_FREE_FRACTION 0.8      /* a working set may use this share of MemAvailable */
#define QB_MEM_CHASE_SEED 1           /* the random cycle of the latency chase */
/* Level bandwidth figures whose best two rounds disagree, or that fall short
 * of scaling with threads on a per-core level, get up to this many extra
 * rounds, started evenly over this many seconds (probes/mem/mem_measure.c,
 * confirm_rounds): on a shared host a spell of interference lasts seconds
 * (5-30 s has been seen), so rounds back to back would fall inside one. */
#define QB_MEM_CONFIRM_ROUNDS 10
#define QB_MEM_CONFIRM_BUDGET_S 20.0
#define QB_MEM_QUICK_CONFIRM_BUDGET_S 5.0
#define QB_MEM_REFINE_STEPS 4         /* bisection steps narrowing each measured capacity */
#define QB_MEM_MIN_STEP 1.5           /* a level's random-load plateau must be this much faster than
                                         the next level's to measure a capacity between them */
#define QB_MEM_RANGE_START 1.5        /* a level's range starts at this multiple of what the levels
                                         above hold: a cyclic walk misses them from there */

/* Context-switch probe (probes/ctx/, qbench probe ctx). */
#define QB_CTX_TRIAL_US_DEFAULT 2000  /* one timed trial (hop count sized from a pilot) */
#define QB_CTX_QUICK_TRIAL_US 1000
#define QB_CTX_PROCS_DEFAULT 2        /* processes in the pipe ring, as lmbench lat_ctx */
#define QB_CTX_WS_DEFAULT "0,16K,64K,256K" /* per-process working sets touched at each hop */

/* Interpreter probe (probes/interp/, qbench probe interp). */
#define QB_INTERP_TRIAL_US_DEFAULT 2000 /* one timed loop call (iterations sized from a pilot) */
#define QB_INTERP_QUICK_TRIAL_US 1000
/* Worker processes, each with an interpreter of its own: one process's
 * figure is one draw of where its objects lie, so the figure is their median. */
#define QB_INTERP_PROCESSES_DEFAULT 7
#define QB_INTERP_QUICK_PROCESSES 5
#define QB_INTERP_MAX_PROCESSES 32
/* Workers' figures further apart than this (relative to their median) are noted. */
#define QB_INTERP_PROCESS_SPREAD 0.10
/* timeit's repeats after each round of the probe, in each worker: the
 * reference figure beside qbench's (metric timeit). */
#define QB_INTERP_TIMEIT_REPEATS 5
#define QB_INTERP_TIMEIT_AGREE 0.10 /* further apart than this, a note says so */
/* Storage probe (probes/storage/, qbench probe storage). */
#define QB_STORAGE_SIZE_DEFAULT "1G"    /* test file: past any cache a disk or host keeps per file */
#define QB_STORAGE_QUICK_SIZE "256M"
#define QB_STORAGE_TRIAL_MS_DEFAULT 50  /* one timed trial of reads */
#define QB_STORAGE_QUICK_TRIAL_MS 20
#define QB_STORAGE_BUDGET_S_DEFAULT 2.0 /* per benchmark and round, unless --budget says otherwise */
#define QB_STORAGE_QUICK_BUDGET_S 0.3
#define QB_STORAGE_MAX_LAT_SAMPLES 100000 /* queue-depth-1 read latencies kept, over all rounds */
/* qbench costs: the storage rows' test file, and the median read latency
 * below which a device the kernel marks rotational is no spinning disk (a
 * seek takes milliseconds; virtual disks are often marked rotational). */
#define QB_COSTS_STORAGE_BYTES (256UL << 20)
#define QB_COSTS_SEEK_MIN_US 1000.0

/* Memory-bound operators (bench/ops/: ops_mem*.c, eltwise*, layout*, softmax*,
 * depthwise*): outputs at least this big are written with non-temporal
 * stores: an output larger than the share of the last-level cache one core
 * can use would evict the operator's inputs and be evicted itself before it
 * is read again, so it goes straight to memory (qbench probe mem measures the
 * usable share, often well below the L3 sysfs reports); verify()
 * checks every output up to this many elements, else an even sample. */
#define QB_MEMOP_NT_BYTES_DEFAULT (8L << 20)
#define QB_MEMOP_VERIFY_ELEMS_DEFAULT (1L << 20)

/* Big buffers (src/big_buf.c): how many may be live at once and how many
 * bytes of freed ones are kept for reuse. A suite's operators need at most
 * three 64 MiB buffers at a time (two inputs and an output of 16 M floats),
 * plus a float copy of an output to calibrate an int8 one. */
#define QB_BIG_SLOTS 64
#define QB_BIG_KEEP_BYTES ((size_t)256 << 20)

/* Operator benchmarks (bench/ops_run*.c, qbench ops): what runs without
 * --dtype/--quant/--policy/--backend, and a trial repeats the op until it
 * lasts this long (fast ops would otherwise be timer noise). */
#define QB_OPS_DTYPES_DEFAULT "fp32,fp16,int8"
#define QB_OPS_QUANTS_DEFAULT "per-tensor,per-channel"
#define QB_OPS_POLICIES_DEFAULT "symmetric"
#define QB_OPS_BACKENDS_DEFAULT "builtin"
#define QB_OPS_TRIAL_MIN_S_DEFAULT 0.002
#define QB_OPS_COLD_MIN_BYTES (64L << 20) /* a cold sample first streams through at least this */
#define QB_OPS_TRIAL_MAX_RUNS 10000

/* The machine-state check (src/machine_state.c): a 1-minute load average at
 * or above this is other work; a CPU busy this share of the window while
 * qbench sleeps is used by something else. */
#define QB_STATE_LOAD_MAX 0.5
#define QB_STATE_BUSY_MAX 0.10
#define QB_STATE_BUSY_WINDOW_MS 200

/* Loaded latency (probe mem --loaded): the streamers' spin steps (about a
 * cycle each) between two cache lines ("idle": no streamers), the chase time a trial aims at,
 * and the knee: the largest bandwidth whose latency is within this factor of
 * the idle latency. */
#define QB_LOADED_DELAYS_DEFAULT "idle,2000,1000,500,250,120,60,30,15,0"
#define QB_LOADED_MAX_POINTS 32
#define QB_LOADED_TRIAL_US 2000.0
#define QB_LOADED_KNEE 1.25

/* qbench net (bench/net/net_bench.c). */
#define QB_NET_DTYPES_DEFAULT "fp32,fp16,int8"
#define QB_NET_QUANTS_DEFAULT "per-tensor,per-channel"
#define QB_NET_BATCH_DEFAULT "1"
#define QB_NET_BUDGET_S_DEFAULT 1.0    /* seconds of end-to-end runs per configuration */
#define QB_NET_QUICK_BUDGET_S 0.25
#define QB_NET_MAX_SAMPLES 2000        /* end-to-end runs per configuration at most */
#define QB_NET_PROFILE_RUNS 7          /* runs timed layer by layer; each layer's median is kept */
#define QB_NET_QUICK_PROFILE_RUNS 3
#define QB_NET_CALIB_BATCHES 8         /* seeded fp32 runs the int8 activation ranges come from */
#define QB_NET_QUICK_CALIB_BATCHES 2
#define QB_NET_ACCURACY_BATCHES 4      /* seeded inputs the accuracy is measured on */
#define QB_NET_QUICK_ACCURACY_BATCHES 1
#define QB_NET_PERCENTILE_DEFAULT 99.99 /* --calib percentile */
#define QB_NET_TOP_LAYERS 10           /* layers in the printed table */

#endif
