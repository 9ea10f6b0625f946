// A kept part of a weight can repeat one value: MLIR then keeps the pruned
// constant as a splat, which the analysis does not count as weight data.
// The parameter check after the rewrite counted only one-element weights
// as splats, so this failed with "internal error: the pruned module holds
// 3 parameters, the plan 7" (found by hand while minimizing random-model
// seed 43, issue 13: a layer with equal rows, chunked into two heads).
// RUN: %mcprune-opt '--component-prune=ratio=0.4 interfaces=prune rank=cost max-ratio=1 round-to=1' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err

// SUMMARY: component-prune: 14 -> 7 parameters (50.0% removed, target 40.0%), 1 of 2 groups pruned
// CHECK-LABEL: func.func @main
// CHECK: arith.constant dense<0.899999976> : tensor<4x1xf32>
// CHECK: arith.constant dense<{{\[\[}}5.000000e-01, -2.000000e-01, 1.000000e-01]]> : tensor<1x3xf32>
// CHECK: linalg.matmul {{.*}} -> tensor<2x1xf32>
// CHECK: linalg.matmul {{.*}} -> tensor<2x3xf32>

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w1 = arith.constant dense<[[0.9, 0.01], [0.9, 0.01], [0.9, 0.01], [0.9, 0.01]]> : tensor<4x2xf32> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense<[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4]]> : tensor<2x3xf32> loc("head.0"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x2xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x2xf32>) outs(%f1 : tensor<2x2xf32>) -> tensor<2x2xf32> loc("enc.0"("m.py":3:1))
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x2xf32>, tensor<2x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.0"("m.py":4:1))
  return %y : tensor<2x3xf32>
}
