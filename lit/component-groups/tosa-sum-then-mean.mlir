// A sum over tokens whose result is then averaged over the channels: the
// first reduce_sum is a plain sum (its tokens stay, reduced), the second a
// mean over the channels, which stay prunable. The chained-mean rule
// (component-prune/tosa-chained-mean.mlir) must not take the two for one
// mean over tokens x channels (a count of 32, where the multiply holds
// 1/8) and freeze the channels.
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-groups=grouping=vanilla report=%t.json' %s -o /dev/null
// RUN: FileCheck %s < %t.json
// CHECK: "channels": 8,
// CHECK-NEXT: "ops": [
// CHECK-NEXT: "tosa.matmul#{{[0-9]+}} \"enc.0\"",
// CHECK: "prunable": true,
// CHECK-NEXT: "frozen_reason": null,

func.func @main(%x: tensor<1x4x6xf32>) -> tensor<1x4x3xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %w1 = "tosa.const"() <{values = dense<[[[0.5, -0.2, 0.1, 0.9, 0.3, -0.4, 0.7, 0.2], [0.3, 0.9, -0.4, 0.2, -0.6, 0.8, -0.1, 0.4], [-0.7, 0.2, 0.6, -0.1, 0.4, 0.3, 0.5, -0.3], [0.2, -0.3, 0.8, 0.6, -0.2, 0.1, -0.8, 0.6], [0.1, 0.4, -0.6, 0.2, 0.7, -0.5, 0.3, 0.9], [0.9, -0.1, 0.2, -0.3, 0.5, 0.6, -0.2, 0.1]]]> : tensor<1x6x8xf32>}> : () -> tensor<1x6x8xf32> loc("enc.0"("m.py":1:1))
  %h = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x4x6xf32>, tensor<1x6x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("enc.0"("m.py":1:1))
  %tokens = tosa.reduce_sum %h {axis = 1 : i32} : (tensor<1x4x8xf32>) -> tensor<1x1x8xf32> loc("norm"("m.py":2:1))
  %total = tosa.reduce_sum %tokens {axis = 2 : i32} : (tensor<1x1x8xf32>) -> tensor<1x1x1xf32> loc("norm"("m.py":2:1))
  %inv = "tosa.const"() <{values = dense<1.250000e-01> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32> loc("norm"("m.py":2:1))
  %mean = tosa.mul %total, %inv, %shift : (tensor<1x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x1x1xf32> loc("norm"("m.py":2:1))
  %centred = tosa.sub %h, %mean : (tensor<1x4x8xf32>, tensor<1x1x1xf32>) -> tensor<1x4x8xf32> loc("norm"("m.py":2:1))
  %w2 = "tosa.const"() <{values = dense<[[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6], [0.2, -0.3, 0.8], [0.1, 0.4, -0.6], [0.9, -0.1, 0.2], [-0.3, 0.5, 0.7], [0.6, 0.1, -0.3]]]> : tensor<1x8x3xf32>}> : () -> tensor<1x8x3xf32> loc("head.0"("m.py":3:1))
  %y = tosa.matmul %centred, %w2, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32> loc("head.0"("m.py":3:1))
  return %y : tensor<1x4x3xf32>
}
