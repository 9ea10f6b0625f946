// A weight whose elements are all equal is a splat constant, which couples
// nothing across ops and is not counted as a weight; a contraction that
// reads it along a pruned dim must still take the kept indices from it.
// It used to keep its old size, and the output failed the verifier
// ("'linalg.matmul' op inferred input/output operand #1 has shape's
// dimension #0 to be 2, but found 3").
// RUN: %mcprune-opt '--component-prune=ratio=0.33 interfaces=prune round-to=1' %s 2>%t.err > %t.mlir
// RUN: %mlir-opt %t.mlir -o /dev/null
// RUN: FileCheck %s < %t.mlir
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// SUMMARY: component-prune: 12 -> 8 parameters
// CHECK-LABEL: func.func @main
// CHECK: linalg.matmul ins(%arg0, %{{.*}} : tensor<2x4xf32>, tensor<4x2xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>)

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0], [1.0, 2.5, 3.0], [1.5, 2.0, 3.0], [1.0, 2.0, 3.5]]> : tensor<4x3xf32> loc("enc"("m.py":1:1))
  %w2 = arith.constant dense<[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]> : tensor<3x2xf32> loc("head"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32> loc("enc"("m.py":3:1))
  %e2 = tensor.empty() : tensor<2x2xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f2 : tensor<2x2xf32>) -> tensor<2x2xf32> loc("head"("m.py":4:1))
  return %y : tensor<2x2xf32>
}
