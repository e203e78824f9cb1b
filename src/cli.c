#include "cli.h"

#include "error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qb_parse_long(const char *what, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE)
        return qb_fail(QB_EUSAGE, "%s: '%s' is not a whole number", what, s);
    if (v < min || v > max)
        return qb_fail(QB_EUSAGE, "%s: %ld is out of range [%ld, %ld]", what, v, min, max);
    *out = v;
    return QB_OK;
}

int qb_parse_double(const char *what, const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return qb_fail(QB_EUSAGE, "%s: '%s' is not a number", what, s);
    if (v < min || v > max)
        return qb_fail(QB_EUSAGE, "%s: %g is out of range [%g, %g]", what, v, min, max);
    *out = v;
    return QB_OK;
}

int qb_split_list(char *s, char **items, int max)
{
    int n = 0;
    char *save = NULL;
    if (*s == '\0' || s[strlen(s) - 1] == ',' || *s == ',' || strstr(s, ",,")) return -1;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max) return -1;
        items[n++] = t;
    }
    return n;
}

int qb_split_words(const char *what, const char *list, char *buf, size_t len, char **items, int max)
{
    if (strlen(list) >= len) return qb_fail(QB_EUSAGE, "%s: list too long", what);
    strcpy(buf, list);
    const int n = qb_split_list(buf, items, max);
    if (n < 0) return qb_fail(QB_EUSAGE, "%s: malformed list '%s'", what, list);
    return n;
}

static void print_default(const qb_opt *o)
{
    /* A help text that names its own default (one that depends on --quick or
     * on the machine) is not followed by the variable's unset value. */
    if (o->help && strstr(o->help, "(default")) return;
    switch (o->type) {
    /* A negative value is the "policy default" sentinel: the help text names that default. */
    case QB_OPT_INT:
        if (*(const long *)o->dest >= 0) printf(" (default %ld)", *(const long *)o->dest);
        break;
    case QB_OPT_DOUBLE:
        if (*(const double *)o->dest >= 0) printf(" (default %g)", *(const double *)o->dest);
        break;
    case QB_OPT_STRING:
        if (*(const char *const *)o->dest) printf(" (default %s)", *(const char *const *)o->dest);
        break;
    case QB_OPT_FLAG: break;
    }
}

void qb_cli_help(const qb_cmd_spec *spec)
{
    printf("Usage: qbench %s %s\n\n%s\n", spec->path, spec->usage ? spec->usage : "[options]",
           spec->summary);
    if (spec->nopts > 0) printf("\nOptions:\n");
    for (int i = 0; i < spec->nopts; i++) {
        const qb_opt *o = &spec->opts[i];
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        printf("  %-28s %s", left, o->help);
        print_default(o);
        printf("\n");
    }
    printf("  %-28s %s\n", "-h, --help", "show this help");
    if (spec->details) printf("\n%s\n", spec->details);
    if (spec->examples) printf("\nExamples:\n%s", spec->examples);
}

static const qb_opt *find_long(const qb_cmd_spec *spec, const char *name, size_t len)
{
    for (int i = 0; i < spec->nopts; i++)
        if (strlen(spec->opts[i].name) == len && strncmp(spec->opts[i].name, name, len) == 0)
            return &spec->opts[i];
    return NULL;
}

static const qb_opt *find_short(const qb_cmd_spec *spec, char c)
{
    for (int i = 0; i < spec->nopts; i++)
        if (spec->opts[i].short_name == c) return &spec->opts[i];
    return NULL;
}

static int store(const qb_cmd_spec *spec, const qb_opt *o, const char *val)
{
    char what[96];
    snprintf(what, sizeof what, "qbench %s --%s", spec->path, o->name);
    switch (o->type) {
    case QB_OPT_FLAG: *(bool *)o->dest = true; return QB_OK;
    case QB_OPT_STRING:
        if (*val == '\0') return qb_fail(QB_EUSAGE, "%s: empty value", what);
        *(const char **)o->dest = val;
        return QB_OK;
    case QB_OPT_INT: return qb_parse_long(what, val, (long)o->min, (long)o->max, (long *)o->dest);
    case QB_OPT_DOUBLE: return qb_parse_double(what, val, o->min, o->max, (double *)o->dest);
    }
    return qb_fail(QB_EINTERNAL, "bad option type");
}

int qb_cli_parse(const qb_cmd_spec *spec, int argc, char **argv, char **pos, int *npos)
{
    *npos = 0;
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const qb_opt *o = NULL;
        const char *val = NULL;
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            qb_cli_help(spec);
            return QB_DONE;
        }
        if (!only_pos && a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            const size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            o = find_long(spec, a + 2, len);
            if (!o)
                return qb_fail(QB_EUSAGE, "qbench %s: unknown option '%.*s' (see --help)",
                               spec->path, (int)(len + 2), a);
            if (eq) {
                if (o->type == QB_OPT_FLAG)
                    return qb_fail(QB_EUSAGE, "qbench %s: --%s takes no value", spec->path,
                                   o->name);
                val = eq + 1;
            }
        } else if (!only_pos && a[0] == '-' && a[1] != '\0' && a[2] == '\0') {
            o = find_short(spec, a[1]);
            if (!o)
                return qb_fail(QB_EUSAGE, "qbench %s: unknown option '%s' (see --help)",
                               spec->path, a);
        } else if (!only_pos && a[0] == '-' && a[1] != '\0') {
            return qb_fail(QB_EUSAGE, "qbench %s: unknown option '%s' (see --help)", spec->path, a);
        } else {
            if (*npos >= spec->max_positional && spec->positional_limit)
                return qb_fail(QB_EUSAGE, "qbench %s: '%s' is one too many: %s", spec->path, a,
                               spec->positional_limit);
            if (*npos >= spec->max_positional)
                return qb_fail(QB_EUSAGE, "qbench %s: unexpected argument '%s' (see --help)",
                               spec->path, a);
            pos[(*npos)++] = argv[i];
            continue;
        }
        if (o->type != QB_OPT_FLAG && !val) {
            if (i + 1 >= argc)
                return qb_fail(QB_EUSAGE, "qbench %s: --%s needs a value", spec->path, o->name);
            val = argv[++i];
        }
        const int rc = store(spec, o, val);
        if (rc) return rc;
    }
    return QB_OK;
}
