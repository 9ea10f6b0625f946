// Calibrated compensation rebuilds the removed channels a layer reads from
// the kept ones and folds that into the layer's weight. A depthwise
// convolution reads each channel into the same channel of its output: a
// removed channel's output goes too, and there is nothing to rebuild. It
// was taken for a consumer all the same, and its kept filters were fitted
// to the removed ones, which changed the kept channels' outputs (the corpus
// ShuffleNet, MobileNet and EfficientNet). Now only the convolution after
// it is compensated; the depthwise filters keep their values.
// RUN: %mcprune-opt '--component-prune=ratio=0.5 scope=local round-to=1 max-ratio=1 compensate=lstsq calibration=%S/Inputs/depthwise-not-a-sink.json' %s | FileCheck %s

// Two of the four depthwise filters stay, each one of the values it had.
// CHECK-LABEL: func.func @main
// CHECK: arith.constant dense<{{\[\[\[}}{{5.000000e-01|-2.500000e-01|7.500000e-01|1.500000e\+00}}]], {{\[\[}}{{5.000000e-01|-2.500000e-01|7.500000e-01|1.500000e\+00}}]]]> : tensor<2x1x1xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw

func.func @main(%x: tensor<1x3x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %z = arith.constant 0.0 : f32
  %wa = arith.constant dense<[[[[0.9]], [[-0.1]], [[0.2]]], [[[0.7]], [[0.05]], [[-0.3]]], [[[-0.8]], [[0.1]], [[0.25]]], [[[0.6]], [[-0.02]], [[0.1]]]]> : tensor<4x3x1x1xf32> loc("net.a")
  %e4 = tensor.empty() : tensor<1x4x2x2xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %wa : tensor<1x3x2x2xf32>, tensor<4x3x1x1xf32>) outs(%f4 : tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> loc("net.a")
  %wd = arith.constant dense<[[[0.5]], [[-0.25]], [[0.75]], [[1.5]]]> : tensor<4x1x1xf32> loc("net.dw")
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%a, %wd : tensor<1x4x2x2xf32>, tensor<4x1x1xf32>) outs(%f4 : tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> loc("net.dw")
  %wh = arith.constant dense<[[[[0.3]], [[-0.2]], [[0.1]], [[0.4]]], [[[0.9]], [[0.1]], [[0.2]], [[0.3]]]]> : tensor<2x4x1x1xf32> loc("net.head")
  %e2 = tensor.empty() : tensor<1x2x2x2xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%d, %wh : tensor<1x4x2x2xf32>, tensor<2x4x1x1xf32>) outs(%f2 : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> loc("net.head")
  return %y : tensor<1x2x2x2xf32>
}
