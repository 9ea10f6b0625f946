// A grouped convolution (ResNeXt, RegNet) reads its input as groups x
// channels per group through a reshape, and torch-mlir reshapes its weight
// the same way. Its channels prune as Torch-Pruning prunes them: the same
// channels in every group, so the group count stays. The layer before it
// used to freeze ("its channels are split by reshape") and the
// convolution's two output factors froze each other ("shares channels with
// group N"): nothing was pruned. Cutting 8 = 2 x 4 weight rows to 4 is also
// 1 x 4 or 2 x 2; the rewrite used to guess the first ("the rewrite equated
// tensors of different shapes").
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-prune=ratio=0.4 rank=cost max-ratio=1 round-to=1 report=%t.json' %s 2>%t.err > %t.mlir
// RUN: %mlir-opt %t.mlir -o /dev/null
// RUN: FileCheck %s < %t.mlir
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: FileCheck %s --check-prefix=REPORT < %t.json

// Three groups: conv1's 8 outputs in 4 units of 2 (one channel per conv
// group), the grouped convolution's in 4 units of 2, and conv3's (the
// model output). The convolution's group count is no group of its own.
// SUMMARY: component-prune: 96 -> 52 parameters (45.8% removed, target 40.0%), 2 of 3 groups pruned
// REPORT: "groups": 3,

// conv1 keeps 3 channels per group, the grouped convolution 2.
// CHECK-LABEL: func.func @main
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<6x4x1x1xf32>) {{.*}} -> tensor<1x6x5x5xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<1x2x3x5x5xf32>
// CHECK: linalg.conv_2d_ngchw_gfchw {{.*}} tensor<2x2x3x1x1xf32>) {{.*}} -> tensor<1x2x2x5x5xf32>
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x4x5x5xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<4x4x1x1xf32>) {{.*}} -> tensor<1x4x5x5xf32>

func.func @main(%x: tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32> {
  %z = arith.constant 0.0 : f32
  %w1 = arith.constant dense<[[[[-0.35]], [[-0.70]], [[0.30]], [[-0.86]]], [[[0.07]], [[-0.27]], [[-0.88]], [[0.01]]], [[[-0.93]], [[-0.13]], [[-0.86]], [[-0.82]]], [[[-0.15]], [[0.65]], [[-0.75]], [[-0.55]]], [[[0.25]], [[0.90]], [[0.15]], [[-0.21]]], [[[0.95]], [[-0.91]], [[0.72]], [[-0.42]]], [[[-0.71]], [[-0.76]], [[-0.38]], [[0.63]]], [[[-0.64]], [[0.16]], [[0.28]], [[-0.26]]]]> : tensor<8x4x1x1xf32> loc("block.conv1"("m.py":1:1))
  %e1 = tensor.empty() : tensor<1x8x5x5xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x4x5x5xf32>, tensor<8x4x1x1xf32>) outs(%f1 : tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32> loc("block.conv1"("m.py":2:1))
  %g = tensor.expand_shape %c1 [[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 5, 5] : tensor<1x8x5x5xf32> into tensor<1x2x4x5x5xf32> loc("block.conv2"("m.py":3:1))
  %w2f = arith.constant dense<[[[[[0.10]], [[-0.87]], [[-0.88]], [[-0.59]]], [[[0.36]], [[-0.14]], [[-0.37]], [[0.17]]], [[[-0.09]], [[-0.40]], [[0.59]], [[0.40]]], [[[-0.51]], [[0.15]], [[0.05]], [[0.75]]]], [[[[0.46]], [[-0.42]], [[0.96]], [[-0.76]]], [[[-0.16]], [[0.51]], [[-0.70]], [[-0.02]]], [[[-0.92]], [[0.34]], [[0.53]], [[0.15]]], [[[0.75]], [[-0.37]], [[0.39]], [[0.19]]]]]> : tensor<2x4x4x1x1xf32> loc("block.conv2"("m.py":4:1))
  %w2c = tensor.collapse_shape %w2f [[0, 1], [2], [3], [4]] : tensor<2x4x4x1x1xf32> into tensor<8x4x1x1xf32>
  %w2 = tensor.expand_shape %w2c [[0, 1], [2], [3], [4]] output_shape [2, 4, 4, 1, 1] : tensor<8x4x1x1xf32> into tensor<2x4x4x1x1xf32>
  %e2 = tensor.empty() : tensor<1x2x4x5x5xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x2x4x5x5xf32>) -> tensor<1x2x4x5x5xf32>
  %c2 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%g, %w2 : tensor<1x2x4x5x5xf32>, tensor<2x4x4x1x1xf32>) outs(%f2 : tensor<1x2x4x5x5xf32>) -> tensor<1x2x4x5x5xf32> loc("block.conv2"("m.py":5:1))
  %y2 = tensor.collapse_shape %c2 [[0], [1, 2], [3], [4]] : tensor<1x2x4x5x5xf32> into tensor<1x8x5x5xf32> loc("block.conv2"("m.py":6:1))
  %w3 = arith.constant dense<[[[[0.16]], [[-0.09]], [[0.68]], [[0.89]], [[-0.05]], [[0.33]], [[-0.88]], [[0.40]]], [[[0.29]], [[0.99]], [[0.64]], [[-0.43]], [[-0.23]], [[0.34]], [[-0.95]], [[-0.08]]], [[[-0.66]], [[-0.77]], [[-0.88]], [[0.54]], [[-0.74]], [[-0.50]], [[-0.22]], [[0.74]]], [[[-0.84]], [[-0.10]], [[0.10]], [[0.77]], [[0.64]], [[0.73]], [[-0.44]], [[-0.17]]]]> : tensor<4x8x1x1xf32> loc("block.conv3"("m.py":7:1))
  %e3 = tensor.empty() : tensor<1x4x5x5xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %c3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y2, %w3 : tensor<1x8x5x5xf32>, tensor<4x8x1x1xf32>) outs(%f3 : tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32> loc("block.conv3"("m.py":8:1))
  return %c3 : tensor<1x4x5x5xf32>
}
