// protect= keeps every weight of the component; component-weights and
// interfaces=prune change what is chosen, not whether it verifies.
// RUN: %mcprune-opt '--component-prune=ratio=0.3 interfaces=prune protect=enc' %s 2>&1 | FileCheck %s --check-prefix=PROTECT
// RUN: %mcprune-opt '--component-prune=ratio=0.3 interfaces=prune' %s 2>&1 | FileCheck %s --check-prefix=FREE

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w1 = arith.constant dense<[[1.0, 0.01, 2.0, 0.02, 3.0, 0.03], [1.0, 0.01, 2.0, 0.02, 3.0, 0.03], [1.0, 0.01, 2.0, 0.02, 3.0, 0.03], [1.0, 0.01, 2.0, 0.02, 3.0, 0.03]]> : tensor<4x6xf32> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense<[[1.0, 1.0, 1.0], [0.01, 0.01, 0.01], [2.0, 2.0, 2.0], [0.02, 0.02, 0.02], [3.0, 3.0, 3.0], [0.03, 0.03, 0.03]]> : tensor<6x3xf32> loc("head.0"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x6xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<2x6xf32>) -> tensor<2x6xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x6xf32>) outs(%f1 : tensor<2x6xf32>) -> tensor<2x6xf32> loc("enc.0"("m.py":3:1))
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x6xf32>, tensor<6x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.0"("m.py":4:1))
  return %y : tensor<2x3xf32>
}
// The hidden group touches enc: protected, nothing else can be cut.
// PROTECT: component-prune: 42 -> 42 parameters (0.0% removed, target 30.0%), 0 of 2 groups pruned
// PROTECT: note: removed 0.00% of parameters, short of the 30.00% asked: the prunable groups allow no more
// PROTECT: tensor<4x6xf32>
// FREE: tensor<4x4xf32>
