// A dynamic batch (a non-channel dim) next to pruned channels: the
// rewrite keeps the dynamic dim (`tensor.empty(%dim)` rebuilt at the new
// width) and FLOPs are counted per sample (a dynamic loop counts 1). It
// used to stop: "could not remove the pruned channels from the operands of
// linalg.matmul "head.0": the selection of dim 1 could not be pushed
// through linalg.matmul "enc.0"", and FLOPs read "0 -> 0".
// RUN: %mcprune-opt '--component-prune=ratio=0.4 interfaces=prune round-to=1' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.4 interfaces=prune round-to=1' %s | %mlir-opt -o /dev/null
// SUMMARY: component-prune: 56 -> 35 parameters (37.5% removed, target 40.0%), 1 of 2 groups pruned, FLOPs 112 -> 70
// CHECK-LABEL: func.func @main(%arg0: tensor<?x4xf32>) -> tensor<?x3xf32>
// CHECK: tensor.empty(%{{.*}}) : tensor<?x5xf32>
// CHECK: linalg.matmul ins(%arg0, %{{.*}} : tensor<?x4xf32>, tensor<4x5xf32>) outs(%{{.*}} : tensor<?x5xf32>) -> tensor<?x5xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x5xf32>, tensor<5x3xf32>)

func.func @main(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w1 = arith.constant dense<[[0.5, -0.2, 0.1, 0.9, 0.3, -0.4, 0.7, 0.05], [0.3, 0.9, -0.4, 0.2, -0.6, 0.8, 0.1, -0.02], [-0.7, 0.2, 0.6, -0.1, 0.4, 0.3, -0.5, 0.01], [0.2, -0.3, 0.8, 0.6, -0.2, 0.1, 0.4, 0.03]]> : tensor<4x8xf32> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense<[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6], [0.2, -0.3, 0.8], [0.1, 0.4, -0.6], [0.9, -0.1, 0.2], [-0.3, 0.5, 0.7], [0.02, 0.01, -0.03]]> : tensor<8x3xf32> loc("head.0"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<?x4xf32>, tensor<4x8xf32>) outs(%f : tensor<?x8xf32>) -> tensor<?x8xf32> loc("enc.0"("m.py":1:1))
  %e2 = tensor.empty(%n) : tensor<?x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<?x8xf32>, tensor<8x3xf32>) outs(%f2 : tensor<?x3xf32>) -> tensor<?x3xf32> loc("head.0"("m.py":2:1))
  return %y : tensor<?x3xf32>
}
