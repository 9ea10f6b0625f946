// torch-mlir's TOSA import of an ONNX model puts a folded bias at its
// initializer's name (`onnx::Conv_194`). That is no module path: it used
// to become a component of its own (ResNet-18 in TOSA: 28 components
// against 9 in linalg). The constant now takes the component of the layer
// that uses it.
// RUN: %mcprune-opt --component-tag %s | FileCheck %s

// CHECK: "tosa.const"() <{values = dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf32>}> {mcprune.component = "layer1"}
// CHECK-NOT: mcprune.component = "onnx::Conv_194"
func.func @main_graph(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.5, -0.2]]], [[[0.3, 0.9]]]]> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32> loc("/layer1/conv/Conv"("m.onnx":1:1))
  %b = "tosa.const"() <{values = dense<[0.1, 0.2]> : tensor<2xf32>}> : () -> tensor<2xf32> loc("onnx::Conv_194")
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("/layer1/conv/Conv"("m.onnx":1:1))
  return %y : tensor<1x2x2x2xf32>
}
