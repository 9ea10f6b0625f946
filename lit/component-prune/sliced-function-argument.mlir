// A pruned function argument that the callee slices (random model seed 43
// of issue 13, minimized to linalg): a layer in @main, chunked into two
// heads by a callee. The slice's selection used to reach the block
// argument as a selection of its window, which is not the plan's selection
// of that argument, so the pass stopped: "could not remove the pruned
// channels from the operands of linalg.matmul "head.1": the selection of
// dim 1 could not be pushed through tensor.extract_slice". Now the slices
// read the pruned argument at the offsets of its kept channels: channels
// 3 and 5 go, the first chunk keeps its place, the second starts at 3
// with one channel.
// RUN: %mcprune-opt '--component-prune=ratio=0.3 interfaces=prune rank=cost max-ratio=1 round-to=1' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.3 interfaces=prune rank=cost max-ratio=1 round-to=1' %s | %mlir-opt -o /dev/null

// SUMMARY: component-prune: 42 -> 28 parameters (33.3% removed, target 30.0%), 1 of 3 groups pruned
// CHECK-LABEL: func.func private @head(%arg0: tensor<2x4xf32>)
// CHECK: tensor.extract_slice %arg0[0, 0] [2, 3] [1, 1] : tensor<2x4xf32> to tensor<2x3xf32>
// CHECK: linalg.matmul ins({{.*}} : tensor<2x3xf32>, tensor<3x3xf32>)
// CHECK: tensor.extract_slice %arg0[0, 3] [2, 1] [1, 1] : tensor<2x4xf32> to tensor<2x1xf32>
// CHECK: linalg.matmul ins({{.*}} : tensor<2x1xf32>, tensor<1x3xf32>)
// CHECK-LABEL: func.func @main
// CHECK: call @head({{.*}}) : (tensor<2x4xf32>) -> tensor<2x6xf32>
func.func private @head(%h: tensor<2x6xf32>) -> tensor<2x6xf32> {
  %z = arith.constant 0.0 : f32
  %w0 = arith.constant dense<[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6]]> : tensor<3x3xf32> loc("head.0"("m.py":1:1))
  %s0 = tensor.extract_slice %h[0, 0] [2, 3] [1, 1] : tensor<2x6xf32> to tensor<2x3xf32> loc("head.0"("m.py":2:1))
  %e0 = tensor.empty() : tensor<2x3xf32>
  %f0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y0 = linalg.matmul ins(%s0, %w0 : tensor<2x3xf32>, tensor<3x3xf32>) outs(%f0 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.0"("m.py":3:1))
  %w1 = arith.constant dense<[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6]]> : tensor<3x3xf32> loc("head.1"("m.py":1:1))
  %s1 = tensor.extract_slice %h[0, 3] [2, 3] [1, 1] : tensor<2x6xf32> to tensor<2x3xf32> loc("head.1"("m.py":2:1))
  %e1 = tensor.empty() : tensor<2x3xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y1 = linalg.matmul ins(%s1, %w1 : tensor<2x3xf32>, tensor<3x3xf32>) outs(%f1 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.1"("m.py":3:1))
  %y = tensor.concat dim(1) %y0, %y1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32> loc("head.2"("m.py":4:1))
  return %y : tensor<2x6xf32>
}
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x6xf32> {
  %w = arith.constant dense<[[0.9, 0.01, 0.8, 0.02, 0.7, 0.03], [0.1, 0.02, 0.3, 0.01, 0.5, 0.04], [0.2, 0.03, 0.4, 0.02, 0.6, 0.02], [0.7, 0.01, 0.8, 0.03, 0.1, 0.01]]> : tensor<4x6xf32> loc("trunk.0"("m.py":5:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x6xf32>) -> tensor<2x6xf32>
  %h = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x6xf32>) outs(%f : tensor<2x6xf32>) -> tensor<2x6xf32> loc("trunk.0"("m.py":6:1))
  %y = func.call @head(%h) : (tensor<2x6xf32>) -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}
