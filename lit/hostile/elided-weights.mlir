// A model printed with --mlir-elide-resource-strings-if-larger keeps its
// weights as dense_resource references whose blobs are gone. Its weights
// were not recognised as weights, and component-prune reported "0 -> 0
// parameters" and exited 0. Both passes now refuse it at the first such
// constant, name the weights, exit 1, and write nothing.
// RUN: rm -f %t.out %t.json
// RUN: %exit1 %mcprune-opt --component-prune=ratio=0.4 %s -o %t.out 2>&1 | FileCheck %s
// RUN: not test -e %t.out
// RUN: %exit1 %mcprune-opt '--component-groups=report=%t.json' %s -o %t.out 2>&1 | FileCheck %s
// RUN: not test -e %t.out
// RUN: not test -e %t.json
// CHECK: elided-weights.mlir:[[@LINE+4]]:{{[0-9]+}}: error: 2 weight constant(s) have no data in the module (elided or missing dense_resource blobs; print the model without --mlir-elide-resource-strings-if-larger): w1_blob, w2_blob
// CHECK-NOT: component-prune:

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w1 = arith.constant dense_resource<w1_blob> : tensor<4x8xf32>
  %w2 = arith.constant dense_resource<w2_blob> : tensor<8x3xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32>
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x8xf32>, tensor<8x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

