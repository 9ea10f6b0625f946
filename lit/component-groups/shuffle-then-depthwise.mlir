// The end of a ShuffleNetV2 stage: two layers' outputs (a, b) are
// concatenated and shuffled, and a depthwise convolution (the next stage's
// first block) reads the whole. The depthwise filter makes the whole a
// group root of its own, which a and b assemble and which is dropped (its
// channels go with the layers that made them). But the whole's group also
// reaches a's and b's channels through the shuffle, so a's and b's groups
// looked assembled too, and all three were dropped at once: a and b were in
// no group, neither prunable nor reported (the corpus ShuffleNet's last
// block of stages 2 and 3; apply_report then missed the batch norm that
// calibration compensated there). Now wholes go first and a group goes
// only if the groups kept bring its channels: a and b stay.
// RUN: %mcprune-opt '--component-groups=grouping=vanilla report=%t.json' %s -o /dev/null 2>%t.groups
// RUN: FileCheck %s --check-prefix=GROUPS < %t.groups
// RUN: FileCheck %s < %t.json
// RUN: %mcprune-opt '--component-prune=ratio=0.4 grouping=vanilla scope=local max-ratio=1 round-to=1' %s | %mlir-opt -o /dev/null

// GROUPS: groups 3 7
// CHECK: "id": 0,
// CHECK: "ops": [
// CHECK-NEXT: "linalg.conv_2d_nchw_fchw#{{[0-9]+}} \"a\""
// CHECK: "prunable": true
// CHECK: "id": 1,
// CHECK: "ops": [
// CHECK-NEXT: "linalg.conv_2d_nchw_fchw#{{[0-9]+}} \"b\""
// CHECK: "prunable": true
// CHECK: "id": 2,
// CHECK: "prunable": false

func.func @main(%x: tensor<1x4x1x1xf32>) -> tensor<1x3x1x1xf32> {
  %z = arith.constant 0.0 : f32
  %wa = arith.constant dense<[[[[0.9]], [[-0.1]], [[0.2]], [[-0.8]]], [[[0.7]], [[0.05]], [[-0.3]], [[0.6]]], [[[-0.8]], [[0.1]], [[0.25]], [[0.9]]], [[[0.6]], [[-0.02]], [[0.1]], [[-0.7]]]]> : tensor<4x4x1x1xf32> loc("a")
  %wb = arith.constant dense<[[[[0.1]], [[0.9]], [[-0.7]], [[0.05]]], [[[-0.2]], [[-0.8]], [[0.6]], [[0.1]]], [[[0.05]], [[0.7]], [[0.9]], [[-0.1]]], [[[0.1]], [[-0.6]], [[-0.8]], [[0.02]]]]> : tensor<4x4x1x1xf32> loc("b")
  %e4 = tensor.empty() : tensor<1x4x1x1xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %wa : tensor<1x4x1x1xf32>, tensor<4x4x1x1xf32>) outs(%f4 : tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32> loc("a")
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %wb : tensor<1x4x1x1xf32>, tensor<4x4x1x1xf32>) outs(%f4 : tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32> loc("b")
  %cat = tensor.concat dim(1) %a, %b : (tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>) -> tensor<1x8x1x1xf32> loc("shuffle")
  %g = tensor.expand_shape %cat [[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 1, 1] : tensor<1x8x1x1xf32> into tensor<1x2x4x1x1xf32> loc("shuffle")
  %e = tensor.empty() : tensor<1x4x2x1x1xf32>
  %t = linalg.transpose ins(%g : tensor<1x2x4x1x1xf32>) outs(%e : tensor<1x4x2x1x1xf32>) permutation = [0, 2, 1, 3, 4] loc("shuffle")
  %s = tensor.collapse_shape %t [[0], [1, 2], [3], [4]] : tensor<1x4x2x1x1xf32> into tensor<1x8x1x1xf32> loc("shuffle")
  %wd = arith.constant dense<[[[0.5]], [[-0.4]], [[0.3]], [[0.8]], [[-0.6]], [[0.2]], [[0.7]], [[-0.9]]]> : tensor<8x1x1xf32> loc("next.depthwise")
  %e8 = tensor.empty() : tensor<1x8x1x1xf32>
  %f8 = linalg.fill ins(%z : f32) outs(%e8 : tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%s, %wd : tensor<1x8x1x1xf32>, tensor<8x1x1xf32>) outs(%f8 : tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32> loc("next.depthwise")
  %wh = arith.constant dense<[[[[0.3]], [[-0.2]], [[0.1]], [[0.4]], [[0.5]], [[-0.6]], [[-0.7]], [[0.8]]], [[[0.9]], [[0.1]], [[0.2]], [[0.3]], [[-0.3]], [[0.2]], [[0.4]], [[0.6]]], [[[-0.5]], [[0.1]], [[0.2]], [[-0.9]], [[0.8]], [[0.1]], [[0.7]], [[-0.1]]]]> : tensor<3x8x1x1xf32> loc("head")
  %e3 = tensor.empty() : tensor<1x3x1x1xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<1x3x1x1xf32>) -> tensor<1x3x1x1xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%d, %wh : tensor<1x8x1x1xf32>, tensor<3x8x1x1xf32>) outs(%f3 : tensor<1x3x1x1xf32>) -> tensor<1x3x1x1xf32> loc("head")
  return %y : tensor<1x3x1x1xf32>
}
