package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.model.Module;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Between a module's parameters and named tensors. */
public final class Weights {
    private Weights() {}

    /** A copy of an array as a tensor. */
    public static SafeTensors.Tensor tensor(NDArray a) {
        return new SafeTensors.Tensor(a.getShape().getShape(), a.toFloatArray());
    }

    /** A libtorch-owned array holding the tensor. */
    public static NDArray array(NDManager m, SafeTensors.Tensor t) {
        return Ops.constant(m, t.data(), new Shape(t.shape()));
    }

    /** Every parameter of the module as a tensor. */
    public static Map<String, SafeTensors.Tensor> of(Module module) {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        module.namedParameters().forEach((k, p) -> out.put(k, tensor(p.getArray())));
        return out;
    }

    /**
     * Initialises a fresh module's parameters from tensors: the names and shapes must match exactly.
     *
     * @throws IllegalArgumentException naming the source and the first mismatch
     */
    public static void initialize(Module module, NDManager manager, Map<String, SafeTensors.Tensor> tensors, String source) {
        Map<String, Parameter> params = module.namedParameters();
        for (String name : tensors.keySet()) {
            if (!params.containsKey(name)) {
                throw new IllegalArgumentException(source + ": tensor '" + name + "' is not a parameter of this model");
            }
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            SafeTensors.Tensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException(source + ": parameter '" + e.getKey() + "' is missing");
            }
            requireShape(source, e.getKey(), t, e.getValue().getShape());
            e.getValue().setInitializer((m, shape, type) -> array(m, t));
        }
        module.initializeAs(manager);
    }

    /** @throws IllegalArgumentException naming the source and tensor when the shapes differ */
    public static void requireShape(String source, String name, SafeTensors.Tensor t, Shape want) {
        if (!Arrays.equals(t.shape(), want.getShape())) {
            throw new IllegalArgumentException(source + ": '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but the model needs " + want);
        }
    }
}
