// A two-layer MLP: ratio=0.5 removes the least important hidden channels.
// The hidden layer's weight loses columns, the head's weight loses rows,
// the empties and fills follow, and the result verifies in mlir-opt.
// The runs here pin rank=cost max-ratio=1 round-to=1, the selection these
// checks were written for: they are about the analysis and the rewrite,
// not the defaults (lit/component-prune/defaults.test covers those).
// RUN: %mcprune-opt '--component-prune=rank=cost max-ratio=1 round-to=1 ratio=0.5 interfaces=prune' %s 2>%t.err | FileCheck %s --implicit-check-not='tensor<4x6xf32>' --implicit-check-not='tensor<6x3xf32>' --implicit-check-not='tensor<2x6xf32>'
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=rank=cost max-ratio=1 round-to=1 ratio=0.5 interfaces=prune' %s | %mlir-opt --verify-each -o /dev/null

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w1 = arith.constant dense<[[1.0, 0.01, 2.0, 0.02, 3.0, 0.03], [1.0, 0.01, 2.0, 0.02, 3.0, 0.03], [1.0, 0.01, 2.0, 0.02, 3.0, 0.03], [1.0, 0.01, 2.0, 0.02, 3.0, 0.03]]> : tensor<4x6xf32> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense<[[1.0, 1.0, 1.0], [0.01, 0.01, 0.01], [2.0, 2.0, 2.0], [0.02, 0.02, 0.02], [3.0, 3.0, 3.0], [0.03, 0.03, 0.03]]> : tensor<6x3xf32> loc("head.0"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x6xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<2x6xf32>) -> tensor<2x6xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x6xf32>) outs(%f1 : tensor<2x6xf32>) -> tensor<2x6xf32> loc("enc.0"("m.py":3:1))
  %t = math.tanh %h : tensor<2x6xf32> loc("enc.1"("m.py":4:1))
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%t, %w2 : tensor<2x6xf32>, tensor<6x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.0"("m.py":5:1))
  return %y : tensor<2x3xf32>
}

// The three channels with the large weights (0, 2, 4) stay; no type of
// the six-channel layer is left anywhere (--implicit-check-not).
// CHECK-LABEL: func.func @main
// CHECK-DAG:   arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00], {{.*}}> : tensor<4x3xf32>
// CHECK-DAG:   arith.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00, 2.000000e+00], [3.000000e+00, 3.000000e+00, 3.000000e+00]]> : tensor<3x3xf32>
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK:       math.tanh %{{.*}} : tensor<2x3xf32>
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3x3xf32>) outs(%{{.*}} : tensor<2x3xf32>) -> tensor<2x3xf32>

// SUMMARY: component-prune: 42 -> 21 parameters (50.0% removed, target 50.0%), 1 of 2 groups pruned
