// Channels padded by tensor.pad (or placed by insert_slice) cannot be
// pruned: the rewrite would have to move the window. The group is frozen
// with that reason instead of failing the pass.
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-prune=ratio=0.3 interfaces=prune report=%t.json' %s -o /dev/null 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// CHECK: component-prune: 62 -> 62 parameters (0.0% removed
// CHECK: note: removed 0.00% of parameters, short of the 30.00% asked
// REPORT: "frozen_reason": "its channels are padded or inserted by tensor.pad

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.25], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.125]]> : tensor<4x8xf32> loc("enc"("m.py":1:1))
  %w2 = arith.constant dense<[[1.0, 2.0, 3.0], [1.0, 2.0, 3.5], [1.0, 2.0, 3.25], [1.0, 2.0, 3.125], [1.0, 2.5, 3.0], [1.0, 2.25, 3.0], [1.0, 2.125, 3.0], [1.5, 2.0, 3.0], [1.25, 2.0, 3.0], [1.125, 2.0, 3.0]]> : tensor<10x3xf32> loc("head"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32> loc("enc"("m.py":3:1))
  %p = tensor.pad %h low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %z : f32
  } : tensor<2x8xf32> to tensor<2x10xf32>
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%p, %w2 : tensor<2x10xf32>, tensor<10x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head"("m.py":4:1))
  return %y : tensor<2x3xf32>
}
