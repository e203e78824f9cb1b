/* MobileNetV2, its published layer table: a 3x3
 * stride-2 stem of 32 channels, then inverted residual blocks by rows of
 * (expansion t, channels c, repeats n, first stride s), a 1x1 conv to 1280
 * channels, global average pooling and a 1000-way classifier. Each block
 * expands with a 1x1 conv (when t > 1), filters with a 3x3 depthwise conv
 * (both followed by ReLU6, fused as Clip 0..6) and projects linearly with a
 * 1x1 conv; it adds its input back when the stride is 1 and the channels
 * match. */
#include "zoo_build.h"

#include "error.h"

#include <stdio.h>

static const struct {
    int t, c, n, s;
} rows[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
            {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};

int qb_zoo_mobilenet_v2(qb_zoo *z, const long *dims, int ndim)
{
    if (ndim != 4 || dims[1] != 3 || dims[2] < 32 || dims[3] < 32)
        return qb_fail(QB_EINPUT,
                       "mobilenet-v2: the input shape must be N,3,H,W with H and W at least 32");
    int x = zoo_input(z, "input", QB_NT_F32, ndim, dims);
    x = zoo_conv(z, "stem", x, 32, 3, 2, 1, QB_NOP_CLIP);
    long c = 32;
    int block = 0;
    char name[64], sub[80];
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (int i = 0; i < rows[r].n; i++) {
            const long stride = i == 0 ? rows[r].s : 1, hidden = c * rows[r].t;
            snprintf(name, sizeof name, "block%d", ++block);
            int h = x;
            if (rows[r].t != 1) {
                snprintf(sub, sizeof sub, "%s.expand", name);
                h = zoo_conv(z, sub, h, hidden, 1, 1, 1, QB_NOP_CLIP);
            }
            snprintf(sub, sizeof sub, "%s.dw", name);
            h = zoo_conv(z, sub, h, hidden, 3, stride, hidden, QB_NOP_CLIP);
            snprintf(sub, sizeof sub, "%s.project", name);
            h = zoo_conv(z, sub, h, rows[r].c, 1, 1, 1, 0);
            if (stride == 1 && c == rows[r].c) {
                snprintf(sub, sizeof sub, "%s.add", name);
                const int in[2] = {h, x};
                h = zoo_node(z, sub, QB_NOP_ADD, in, 2, NULL);
            }
            x = h;
            c = rows[r].c;
        }
    }
    x = zoo_conv(z, "head.conv", x, 1280, 1, 1, 1, QB_NOP_CLIP);
    x = zoo_classifier(z, "head.pool", "head.flatten", "head.fc", x, 1000);
    return zoo_end(z, x);
}
