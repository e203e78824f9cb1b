/* Table-driven command-line parsing shared by every subcommand: each command
 * declares its options once, with help text and default, and gets --help,
 * strict number parsing and one-line errors that name the bad word. */
#ifndef QB_CLI_H
#define QB_CLI_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { QB_OPT_FLAG, QB_OPT_INT, QB_OPT_DOUBLE, QB_OPT_STRING } qb_opt_type;

typedef struct {
    const char *name;  /* long name, used as --name */
    char short_name;   /* 0 for none */
    qb_opt_type type;
    void *dest;        /* bool*, long*, double* or const char** */
    const char *arg;   /* placeholder shown in help, e.g. "N" */
    const char *help;
    double min, max;   /* accepted range for numbers (inclusive) */
} qb_opt;

typedef struct {
    const char *path;     /* "probe inst" */
    const char *summary;  /* one line */
    const char *usage;    /* after the path, e.g. "[options]" */
    const char *details;  /* paragraph(s) after the options, may be NULL */
    const char *examples; /* lines of examples */
    const qb_opt *opts;
    int nopts;
    int max_positional;   /* extra words accepted (e.g. file names) */
    const char *positional_limit; /* what to say past max_positional (NULL: "unexpected argument") */
} qb_cmd_spec;

/* Parse argv[0..argc) (argv[0] is the first word after the command path).
 * Positional words are moved to pos[0..*npos). Returns QB_OK, QB_DONE when
 * --help was printed, or QB_EUSAGE with the error recorded. */
int qb_cli_parse(const qb_cmd_spec *spec, int argc, char **argv, char **pos, int *npos);

void qb_cli_help(const qb_cmd_spec *spec);

/* Split a comma list into at most max items (modifies s). Returns the count, or -1 if too many or empty items. */
int qb_split_list(char *s, char **items, int max);

/* An option's comma list split into words: list is copied into buf (len
 * bytes) and split there (qb_split_list). Returns the count, or QB_EUSAGE
 * naming `what` when the list does not fit in buf or is malformed. */
int qb_split_words(const char *what, const char *list, char *buf, size_t len, char **items,
                   int max);

/* Strict conversions: the whole word must be a number in [min, max]. */
int qb_parse_long(const char *what, const char *s, long min, long max, long *out);
int qb_parse_double(const char *what, const char *s, double min, double max, double *out);

#endif
