// The TOSA form of sliced-function-argument.mlir, as random model seed 43
// has it: a grouped convolution (one tosa.conv2d per group, on slices of
// its input) in a callee whose argument is pruned. It used to stop with
// "the selection of dim 3 could not be pushed through tosa.slice"; now
// each group's input slice starts at its kept channels in the pruned
// argument.
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla' %s | %mlir-opt -o /dev/null

// SUMMARY: component-prune: 36 -> 24 parameters (33.3% removed, target 50.0%), 1 of 2 groups pruned
// CHECK-LABEL: func.func private @trunk
// CHECK: tosa.conv2d {{.*}} -> tensor<1x2x2x4xf32>
// CHECK-LABEL: func.func private @pi(%arg0: tensor<1x2x2x4xf32>)
// CHECK: tosa.slice %arg0, {{.*}} -> tensor<1x2x2x2xf32>
// CHECK: %[[S2:.*]] = tosa.const_shape {values = dense<[0, 0, 0, 2]> : tensor<4xindex>}
// CHECK: tosa.slice %arg0, %[[S2]], {{.*}} -> tensor<1x2x2x2xf32>
func.func private @trunk(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x6xf32> {
    %w0 = "tosa.const"() <{values = dense<[[[[-0.73, 0.69, 0.53, -0.49]]], [[[-0.01, -0.10, 0.30, 0.58]]], [[[-0.81, -0.94, 0.67, -0.13]]], [[[0.52, -1.00, -0.11, 0.44]]], [[[-0.54, 0.89, 0.80, -0.94]]], [[[-0.95, 0.08, 0.88, -0.24]]]]> : tensor<6x1x1x4xf32>}> : () -> tensor<6x1x1x4xf32> loc("trunk.0")
    %b6 = "tosa.const"() <{values = dense<0.0> : tensor<6xf32>}> : () -> tensor<6xf32>
    %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %c0 = tosa.conv2d %x, %w0, %b6, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<6x1x1x4xf32>, tensor<6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x6xf32> loc("trunk.0")
    return %c0 : tensor<1x2x2x6xf32>
}
func.func private @pi(%h: tensor<1x2x2x6xf32>) -> tensor<1x2x2x4xf32> {
    %w1 = "tosa.const"() <{values = dense<[[[[-0.57, -0.16, -0.94]]], [[[-0.56, -0.12, -0.01]]], [[[-0.53, -0.54, -0.56]]], [[[-0.08, -0.42, -0.96]]]]> : tensor<4x1x1x3xf32>}> : () -> tensor<4x1x1x3xf32> loc("pi.0")
    %zq = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %b2 = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
    %s0 = tosa.const_shape {values = dense<[0, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %s3 = tosa.const_shape {values = dense<[0, 0, 0, 3]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %w2 = tosa.const_shape {values = dense<[2, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %xs = tosa.const_shape {values = dense<[1, 2, 2, 3]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %ws = tosa.const_shape {values = dense<[2, 1, 1, 3]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %x0 = tosa.slice %h, %s0, %xs : (tensor<1x2x2x6xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x3xf32> loc("pi.0")
    %k0 = tosa.slice %w1, %s0, %ws : (tensor<4x1x1x3xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<2x1x1x3xf32> loc("pi.0")
    %y0 = tosa.conv2d %x0, %k0, %b2, %zq, %zq {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("pi.0")
    %x1 = tosa.slice %h, %s3, %xs : (tensor<1x2x2x6xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x3xf32> loc("pi.0")
    %k1 = tosa.slice %w1, %w2, %ws : (tensor<4x1x1x3xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<2x1x1x3xf32> loc("pi.0")
    %y1 = tosa.conv2d %x1, %k1, %b2, %zq, %zq {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("pi.0")
    %y = tosa.concat %y0, %y1 {axis = 3 : i32} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x4xf32> loc("pi.0")
    return %y : tensor<1x2x2x4xf32>
}
func.func @main(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
  %h = func.call @trunk(%x) : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x6xf32>
  %y = func.call @pi(%h) : (tensor<1x2x2x6xf32>) -> tensor<1x2x2x4xf32>
  return %y : tensor<1x2x2x4xf32>
}
