// A channel shuffle (ShuffleNetV2): two layers' outputs are concatenated,
// viewed as 2 x 4, transposed and flattened, so their channels alternate
// (a0 b0 a1 b1 ...), and the result is cut into two chunks for the next
// layers. Each layer's channels used to freeze ("its channels are split by
// reshape"). Now each group follows its channels through the shuffle, and
// the rewrite puts the kept ones in the shuffle's order with slices and a
// concat; the shuffle's reshapes go.
// RUN: %mcprune-opt '--component-groups=grouping=vanilla' %s -o /dev/null 2>%t.groups
// RUN: FileCheck %s --check-prefix=GROUPS < %t.groups
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla scope=local rank=cost max-ratio=1 round-to=1' %s 2>%t.err > %t.mlir
// RUN: %mlir-opt %t.mlir -o /dev/null
// RUN: FileCheck %s < %t.mlir
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err

// Layers a and b are one group each; the two heads read the model's
// outputs. Nothing is frozen but the outputs.
// GROUPS: groups 4 8
// SUMMARY: 56 -> 28 parameters (50.0% removed, target 50.0%), 2 of 4 groups pruned

// a keeps its channels 0 and 3, b its 1 and 2. Shuffled, they are
// a0 b1 | b2 a3 (positions 0, 3 | 5, 6); in the concat, a0 a3 b1 b2: the
// reordering takes runs [0], [2, 3], [1]. head1 reads a0 b1, head2 b2 a3.
// CHECK-LABEL: func.func @main
// CHECK: %[[A:.*]] = linalg.matmul {{.*}} -> tensor<1x2xf32>
// CHECK: %[[B:.*]] = linalg.matmul {{.*}} -> tensor<1x2xf32>
// CHECK: %[[CAT:.*]] = tensor.concat dim(1) %[[A]], %[[B]] {{.*}} -> tensor<1x4xf32>
// CHECK: %[[R0:.*]] = tensor.extract_slice %[[CAT]][0, 0] [1, 1] [1, 1]
// CHECK: %[[R1:.*]] = tensor.extract_slice %[[CAT]][0, 2] [1, 2] [1, 1]
// CHECK: %[[R2:.*]] = tensor.extract_slice %[[CAT]][0, 1] [1, 1] [1, 1]
// CHECK: %[[SHUFFLED:.*]] = tensor.concat dim(1) %[[R0]], %[[R1]], %[[R2]] {{.*}} -> tensor<1x4xf32>
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: linalg.transpose
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[C1:.*]] = tensor.extract_slice %[[SHUFFLED]][0, 0] [1, 2] [1, 1]
// CHECK: %[[C2:.*]] = tensor.extract_slice %[[SHUFFLED]][0, 2] [1, 2] [1, 1]
// CHECK: arith.constant dense<{{\[}}[3.000000e-01, -2.000000e-01, 1.000000e-01], [1.000000e-01, 2.000000e-01, 3.000000e-01]]> : tensor<2x3xf32>
// CHECK: linalg.matmul ins(%[[C1]]
// CHECK: linalg.matmul ins(%[[C2]]

func.func @main(%x: tensor<1x4xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>) {
  %z = arith.constant 0.0 : f32
  %wa = arith.constant dense<[[0.9, -0.1, 0.2, -0.8], [0.7, 0.05, -0.3, 0.6], [-0.8, 0.1, 0.25, 0.9], [0.6, -0.02, 0.1, -0.7]]> : tensor<4x4xf32> loc("a"("m.py":1:1))
  %wb = arith.constant dense<[[0.1, 0.9, -0.7, 0.05], [-0.2, -0.8, 0.6, 0.1], [0.05, 0.7, 0.9, -0.1], [0.1, -0.6, -0.8, 0.02]]> : tensor<4x4xf32> loc("b"("m.py":2:1))
  %e4 = tensor.empty() : tensor<1x4xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<1x4xf32>) -> tensor<1x4xf32>
  %a = linalg.matmul ins(%x, %wa : tensor<1x4xf32>, tensor<4x4xf32>) outs(%f4 : tensor<1x4xf32>) -> tensor<1x4xf32> loc("a"("m.py":3:1))
  %b = linalg.matmul ins(%x, %wb : tensor<1x4xf32>, tensor<4x4xf32>) outs(%f4 : tensor<1x4xf32>) -> tensor<1x4xf32> loc("b"("m.py":4:1))
  %cat = tensor.concat dim(1) %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32> loc("shuffle"("m.py":5:1))
  %g = tensor.expand_shape %cat [[0], [1, 2]] output_shape [1, 2, 4] : tensor<1x8xf32> into tensor<1x2x4xf32> loc("shuffle"("m.py":6:1))
  %e = tensor.empty() : tensor<1x4x2xf32>
  %t = linalg.transpose ins(%g : tensor<1x2x4xf32>) outs(%e : tensor<1x4x2xf32>) permutation = [0, 2, 1] loc("shuffle"("m.py":7:1))
  %s = tensor.collapse_shape %t [[0], [1, 2]] : tensor<1x4x2xf32> into tensor<1x8xf32> loc("shuffle"("m.py":8:1))
  %c1 = tensor.extract_slice %s[0, 0] [1, 4] [1, 1] : tensor<1x8xf32> to tensor<1x4xf32> loc("chunk"("m.py":9:1))
  %c2 = tensor.extract_slice %s[0, 4] [1, 4] [1, 1] : tensor<1x8xf32> to tensor<1x4xf32> loc("chunk"("m.py":10:1))
  %w1 = arith.constant dense<[[0.3, -0.2, 0.1], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [0.1, 0.2, 0.3]]> : tensor<4x3xf32> loc("head1"("m.py":11:1))
  %w2 = arith.constant dense<[[-0.3, 0.2, 0.4], [0.6, -0.5, 0.1], [0.2, 0.3, -0.9], [0.8, 0.1, 0.7]]> : tensor<4x3xf32> loc("head2"("m.py":12:1))
  %e3 = tensor.empty() : tensor<1x3xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y1 = linalg.matmul ins(%c1, %w1 : tensor<1x4xf32>, tensor<4x3xf32>) outs(%f3 : tensor<1x3xf32>) -> tensor<1x3xf32> loc("head1"("m.py":13:1))
  %y2 = linalg.matmul ins(%c2, %w2 : tensor<1x4xf32>, tensor<4x3xf32>) outs(%f3 : tensor<1x3xf32>) -> tensor<1x3xf32> loc("head2"("m.py":14:1))
  return %y1, %y2 : tensor<1x3xf32>, tensor<1x3xf32>
}
