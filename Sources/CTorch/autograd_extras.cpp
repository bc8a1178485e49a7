// Autograd extras: gradient checkpointing (activation recomputation) and autocast (mixed precision).
//
// Checkpointing follows torch.utils.checkpoint with use_reentrant=True and preserve_rng_state=True:
// the body runs once without recording a graph; one custom autograd node holds the inputs, the RNG
// and autocast state of that first run, and the body itself (a Swift closure behind a C callback).
// Its backward re-runs the body with gradient recording on over detached copies of the inputs,
// back-propagates the incoming gradients through the recomputation — so parameters used inside the
// body accumulate .grad as usual — and returns the inputs' gradients.
#include "internal.hpp"

#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdlib>
#include <stdexcept>
#include <utility>

// libtorch 2.4 made autocast's state per device type; 1.13 (and 2.0–2.3) name CPU and CUDA apart.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define CTORCH_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define CTORCH_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// ---- autocast state ----

at::DeviceType autocastDeviceType(int32_t deviceType) {
  switch (deviceType) {
    case CT_CPU: return at::kCPU;
    case CT_CUDA: return at::kCUDA;
    default: throw std::invalid_argument("autocast: unknown device type " + std::to_string(deviceType));
  }
}

bool autocastEnabled(at::DeviceType type) {
#if CTORCH_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocastType(at::DeviceType type) {
#if CTORCH_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void setAutocast(at::DeviceType type, bool enabled, at::ScalarType dtype) {
#if CTORCH_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(type, enabled);
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == at::kCUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

// torch.autocast's exit: the cast cache lives while any autocast region is open.
void leaveAutocastRegion() {
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
}

struct AutocastState {
  bool cpuEnabled = false, cudaEnabled = false;
  at::ScalarType cpuType = at::kBFloat16, cudaType = at::kHalf;

  static AutocastState current() {
    AutocastState state;
    state.cpuEnabled = autocastEnabled(at::kCPU);
    state.cpuType = autocastType(at::kCPU);
    state.cudaEnabled = autocastEnabled(at::kCUDA);
    state.cudaType = autocastType(at::kCUDA);
    return state;
  }
  void apply() const {
    setAutocast(at::kCPU, cpuEnabled, cpuType);
    setAutocast(at::kCUDA, cudaEnabled, cudaType);
  }
};

// Puts a recorded autocast state in force for a scope (as one autocast region), then restores.
class AutocastScope {
 public:
  explicit AutocastScope(const AutocastState &state) : previous_(AutocastState::current()) {
    state.apply();
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    leaveAutocastRegion();
    previous_.apply();
  }
  AutocastScope(const AutocastScope &) = delete;
  AutocastScope &operator=(const AutocastScope &) = delete;

 private:
  AutocastState previous_;
};

// ---- RNG state: the global CPU generator and the CUDA generators of the inputs' devices ----

struct RandomState {
  std::vector<std::pair<at::Generator, at::Tensor>> states;

  static RandomState current(const std::vector<at::Device> &cudaDevices) {
    RandomState state;
    state.add(at::detail::getDefaultCPUGenerator());
    for (const at::Device &device : cudaDevices) state.add(at::globalContext().defaultGenerator(device));
    return state;
  }
  void restore() const {
    for (const auto &entry : states) {
      at::Generator generator = entry.first;
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(entry.second);
    }
  }

 private:
  void add(at::Generator generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    states.emplace_back(generator, generator.get_state());
  }
};

// Restores the RNG state found at construction when the scope ends (as torch.random.fork_rng).
class ForkedRandomState {
 public:
  explicit ForkedRandomState(const std::vector<at::Device> &cudaDevices)
      : saved_(RandomState::current(cudaDevices)) {}
  ~ForkedRandomState() { saved_.restore(); }
  ForkedRandomState(const ForkedRandomState &) = delete;
  ForkedRandomState &operator=(const ForkedRandomState &) = delete;

 private:
  RandomState saved_;
};

std::vector<at::Device> cudaDevicesOf(const std::vector<at::Tensor> &tensors) {
  std::vector<at::Device> devices;
  for (const at::Tensor &tensor : tensors) {
    if (!tensor.is_cuda()) continue;
    bool seen = false;
    for (const at::Device &device : devices) seen = seen || device == tensor.device();
    if (!seen) devices.push_back(tensor.device());
  }
  return devices;
}

// ---- checkpointing ----

// The body of a checkpointed block and what its recomputation needs. Held by the autograd node
// (through a capsule in its saved data); releases the caller's context when the node goes.
struct CheckpointState : torch::CustomClassHolder {
  ct_checkpoint_body body;
  void *context;
  void (*release)(void *context);
  size_t bodyInputCount = 0;
  std::vector<at::Device> cudaDevices;
  RandomState randomState;
  AutocastState autocastState;

  CheckpointState(ct_checkpoint_body body, void *context, void (*release)(void *))
      : body(body), context(context), release(release) {}
  ~CheckpointState() override {
    if (release != nullptr) release(context);
  }

  // Runs the body on the first bodyInputCount tensors.
  std::vector<at::Tensor> run(const std::vector<at::Tensor> &inputs) const {
    std::vector<ct_tensor> handles;
    handles.reserve(bodyInputCount);
    for (size_t index = 0; index < bodyInputCount; ++index) handles.push_back(ctorch::wrap(inputs[index]));
    ct_tensor *outputs = nullptr;
    size_t count = 0;
    int status = body(context, handles.data(), handles.size(), &outputs, &count);
    std::vector<at::Tensor> results;
    results.reserve(count);
    for (size_t index = 0; index < count && outputs != nullptr; ++index) {
      if (outputs[index] != nullptr) results.push_back(outputs[index]->tensor);
      delete outputs[index];
    }
    std::free(outputs);
    if (status != 0) throw std::runtime_error("checkpoint: the checkpointed body failed");
    if (results.size() != count) throw std::runtime_error("checkpoint: the body returned a null tensor");
    return results;
  }
};

struct Checkpoint : torch::autograd::Function<Checkpoint> {
  // inputs: the body's inputs, then possibly one placeholder that requires grad (see ct_checkpoint).
  static variable_list forward(AutogradContext *ctx, at::TensorList inputs,
                               const c10::intrusive_ptr<CheckpointState> &state) {
    ctx->saved_data["state"] = c10::IValue::make_capsule(state);
    // Outputs backward does not reach get no gradient (not zeros): the recomputation skips them.
    ctx->set_materialize_grads(false);
    ctx->save_for_backward(inputs.vec());
    // The body runs without gradient recording here but with it in backward: both runs must take
    // libtorch's path so that the recomputation equals this run bit for bit.
    ctorch::EagerOnlyScope eager;
    return state->run(inputs.vec());
  }

  static variable_list backward(AutogradContext *ctx, variable_list gradients) {
    c10::intrusive_ptr<torch::CustomClassHolder> holder = ctx->saved_data["state"].toCapsule();
    const auto &state = *static_cast<const CheckpointState *>(holder.get());
    variable_list saved = ctx->get_saved_variables();

    std::vector<at::Tensor> detached;
    detached.reserve(saved.size());
    for (const at::Tensor &input : saved) {
      at::Tensor copy = input.detach();
      copy.set_requires_grad(input.requires_grad());
      detached.push_back(std::move(copy));
    }

    std::vector<at::Tensor> outputs;
    {
      ForkedRandomState fork(state.cudaDevices);
      state.randomState.restore();
      AutocastScope autocast(state.autocastState);
      at::AutoGradMode gradMode(true);
      outputs = state.run(detached);
    }

    variable_list roots, seeds;
    for (size_t index = 0; index < outputs.size() && index < gradients.size(); ++index) {
      if (!outputs[index].requires_grad() || !gradients[index].defined()) continue;
      roots.push_back(outputs[index]);
      seeds.push_back(gradients[index]);
    }
    if (!roots.empty()) torch::autograd::backward(roots, seeds);

    // One gradient per forward input: each tensor in the list, then the state argument.
    variable_list result;
    result.reserve(saved.size() + 1);
    for (const at::Tensor &input : detached) result.push_back(input.requires_grad() ? input.grad() : at::Tensor());
    result.emplace_back();
    return result;
  }
};

}  // namespace

// ---- C ABI ----

int ct_checkpoint(const ct_tensor *inputs, size_t count, ct_checkpoint_body body, void *context,
                  void (*release)(void *context), ct_tensor **outputs, size_t *output_count) {
  CT_BEGIN
  // From here on, release(context) runs exactly once: when the last reference to the state goes.
  auto state = c10::make_intrusive<CheckpointState>(body, context, release);
  if (body == nullptr) throw std::invalid_argument("checkpoint: null body");
  std::vector<at::Tensor> list;
  list.reserve(count + 1);
  bool anyRequiresGrad = false;
  for (size_t index = 0; index < count; ++index) {
    list.push_back(ctorch::T(inputs[index]));
    anyRequiresGrad = anyRequiresGrad || list.back().requires_grad();
  }
  state->bodyInputCount = count;
  // PyTorch's reentrant checkpoint makes no node when no input requires grad, and parameters used
  // inside then get no gradient (e.g. frozen embeddings before trainable layers). A placeholder
  // input that requires grad keeps the node, so they always do.
  if (c10::GradMode::is_enabled() && !anyRequiresGrad) {
    list.push_back(at::empty({0}, at::TensorOptions().dtype(at::kFloat)).set_requires_grad(true));
  }
  state->cudaDevices = cudaDevicesOf(list);
  state->randomState = RandomState::current(state->cudaDevices);
  state->autocastState = AutocastState::current();

  variable_list results = Checkpoint::apply(at::TensorList(list), state);
  state.reset();

  ct_tensor *array = nullptr;
  if (!results.empty()) {
    array = static_cast<ct_tensor *>(std::malloc(results.size() * sizeof(ct_tensor)));
    if (array == nullptr) throw std::bad_alloc();
    for (size_t index = 0; index < results.size(); ++index) array[index] = ctorch::wrap(results[index]);
  }
  *outputs = array;
  *output_count = results.size();
  CT_END
}

int ct_autocast_state(int32_t device_type, int *enabled, int32_t *dtype) {
  CT_BEGIN
  at::DeviceType type = autocastDeviceType(device_type);
  *enabled = autocastEnabled(type) ? 1 : 0;
  *dtype = ctorch::dtypeCode(autocastType(type));
  CT_END
}

int ct_set_autocast(int32_t device_type, int enabled, int32_t dtype) {
  CT_BEGIN
  setAutocast(autocastDeviceType(device_type), enabled != 0, ctorch::scalarType(dtype));
  CT_END
}

int ct_autocast_enter(void) { CT_BEGIN at::autocast::increment_nesting(); CT_END }

int ct_autocast_exit(void) { CT_BEGIN leaveAutocastRegion(); CT_END }
