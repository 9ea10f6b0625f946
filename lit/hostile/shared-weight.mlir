// One weight used by two layers (`w1` reads two inputs): its output
// channels are one group across both uses, pruned once, and both layers
// read the same pruned constant.
// RUN: %mcprune-opt '--component-prune=ratio=0.4 grouping=vanilla round-to=1' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// SUMMARY: component-prune: 56 -> 35 parameters (37.5% removed, target 40.0%), 1 of 2 groups pruned
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<4x5xf32>
// CHECK-NOT: tensor<4x5xf32>
// CHECK: linalg.matmul ins(%arg0, %[[W]] : tensor<2x4xf32>, tensor<4x5xf32>)
// CHECK: linalg.matmul ins(%arg1, %[[W]] : tensor<2x4xf32>, tensor<4x5xf32>)

func.func @main(%x: tensor<2x4xf32>, %u: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w1 = arith.constant dense<[[0.5, -0.2, 0.1, 0.9, 0.3, -0.4, 0.7, 0.05], [0.3, 0.9, -0.4, 0.2, -0.6, 0.8, 0.1, -0.02], [-0.7, 0.2, 0.6, -0.1, 0.4, 0.3, -0.5, 0.01], [0.2, -0.3, 0.8, 0.6, -0.2, 0.1, 0.4, 0.03]]> : tensor<4x8xf32> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense<[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6], [0.2, -0.3, 0.8], [0.1, 0.4, -0.6], [0.9, -0.1, 0.2], [-0.3, 0.5, 0.7], [0.02, 0.01, -0.03]]> : tensor<8x3xf32> loc("head.0"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32> loc("enc.0"("m.py":1:1))
  %g = linalg.matmul ins(%u, %w1 : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32> loc("enc.1"("m.py":3:1))
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x8xf32>, tensor<8x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.0"("m.py":2:1))
  %v = linalg.matmul ins(%g, %w2 : tensor<2x8xf32>, tensor<8x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.0"("m.py":2:1))
  return %y, %v : tensor<2x3xf32>, tensor<2x3xf32>
}
