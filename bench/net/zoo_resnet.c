/* ResNet-50 as torchvision defines it (v1.5: the stride
 * of a downsampling block is on its 3x3 conv): a 7x7 stride-2 stem of 64
 * channels with ReLU, 3x3 stride-2 max pooling, four stages of bottleneck
 * blocks (3, 4, 6, 3 blocks of width 64, 128, 256, 512, expanded 4x), global
 * average pooling and a 1000-way classifier. A block is 1x1, 3x3 and 1x1
 * convs (ReLU after the first two), its input added back (through a 1x1
 * projection where the shape changes), then ReLU. */
#include "zoo_build.h"

#include "error.h"

#include <stdio.h>

int qb_zoo_resnet50(qb_zoo *z, const long *dims, int ndim)
{
    if (ndim != 4 || dims[1] != 3 || dims[2] < 32 || dims[3] < 32)
        return qb_fail(QB_EINPUT,
                       "resnet-50: the input shape must be N,3,H,W with H and W at least 32");
    static const int blocks[4] = {3, 4, 6, 3};
    int x = zoo_input(z, "input", QB_NT_F32, ndim, dims);
    x = zoo_conv(z, "conv1", x, 64, 7, 2, 1, QB_NOP_RELU);
    qb_net_attr mp;
    qb_net_attr_init(&mp);
    mp.kernel[0] = mp.kernel[1] = 3;
    mp.strides[0] = mp.strides[1] = 2;
    for (int i = 0; i < 4; i++)
        mp.pads[i] = 1;
    x = zoo_node(z, "maxpool", QB_NOP_MAXPOOL, &x, 1, &mp);
    char name[64], sub[80];
    for (int s = 0; s < 4; s++) {
        const long width = 64L << s;
        for (int b = 0; b < blocks[s]; b++) {
            const long stride = (b == 0 && s > 0) ? 2 : 1;
            snprintf(name, sizeof name, "layer%d.%d", s + 1, b);
            snprintf(sub, sizeof sub, "%s.conv1", name);
            int h = zoo_conv(z, sub, x, width, 1, 1, 1, QB_NOP_RELU);
            snprintf(sub, sizeof sub, "%s.conv2", name);
            h = zoo_conv(z, sub, h, width, 3, stride, 1, QB_NOP_RELU);
            snprintf(sub, sizeof sub, "%s.conv3", name);
            h = zoo_conv(z, sub, h, width * 4, 1, 1, 1, 0);
            int skip = x;
            if (b == 0) {
                snprintf(sub, sizeof sub, "%s.downsample", name);
                skip = zoo_conv(z, sub, x, width * 4, 1, stride, 1, 0);
            }
            snprintf(sub, sizeof sub, "%s.add", name);
            const int in[2] = {h, skip};
            h = zoo_node(z, sub, QB_NOP_ADD, in, 2, NULL);
            snprintf(sub, sizeof sub, "%s.relu", name);
            x = zoo_node(z, sub, QB_NOP_RELU, &h, 1, NULL);
        }
    }
    x = zoo_classifier(z, "avgpool", "flatten", "fc", x, 1000);
    return zoo_end(z, x);
}
