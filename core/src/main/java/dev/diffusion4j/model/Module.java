package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A DJL block whose parameters all have their shapes from construction, so that initialisation
 * needs no shape inference, and whose parameters have readable dotted names ({@code
 * down.0.res.1.conv1.weight}) for checkpoints.
 *
 * <p>Subclasses expose typed {@code forward} methods and call their children's directly; {@link
 * #forwardInternal} maps DJL's {@link NDList} calling convention onto them. Results of operations
 * whose first operand is a parameter land in the parameter's manager (docs/ENGINE.md, "Ownership"), so {@link
 * #local} moves them to the step's manager.
 */
public abstract class Module extends AbstractBlock {
    private final List<Map.Entry<String, Parameter>> own = new ArrayList<>();
    private final Map<Parameter, Init> inits = new java.util.IdentityHashMap<>();
    private final List<Map.Entry<String, Module>> kids = new ArrayList<>();

    /**
     * Adds a parameter with a fixed shape and how it starts. Until {@link #initializeParameters}
     * (or {@link Weights#initialize}) says otherwise, DJL's own initialisation gives it zeros.
     */
    protected final Parameter param(String name, Shape shape, Init init) {
        Parameter p = addParameter(Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.OTHER)
                .optShape(shape)
                .optInitializer((m, s, t) -> m.zeros(s, t))
                .build());
        own.add(Map.entry(name, p));
        inits.put(p, init);
        return p;
    }

    /** Adds a child module. */
    protected final <M extends Module> M child(String name, M module) {
        addChildBlock(name, module);
        kids.add(Map.entry(name, module));
        return module;
    }

    /** Every parameter below this module, by dotted name, in a fixed order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        for (Map.Entry<String, Parameter> e : own) {
            out.put(prefix + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Module> e : kids) {
            e.getValue().collect(prefix + e.getKey() + ".", out);
        }
    }

    /** The data type of this module's parameters (float32 unless cast for a reference run). */
    public final DataType dataType() {
        for (Parameter p : namedParameters().values()) {
            if (p.isInitialized()) {
                return p.getArray().getDataType();
            }
        }
        return DataType.FLOAT32;
    }

    /** The number of scalar parameters. */
    public final long parameterCount() {
        return namedParameters().values().stream().mapToLong(p -> p.getShape().size()).sum();
    }

    /**
     * Creates every parameter as its {@link Init} says, each drawing from its own stream {@code
     * rng.derive(dotted name)}, with its gradient attached.
     */
    public final void initializeParameters(NDManager manager, Randomness rng) {
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            Init init = initOf(e.getValue());
            SplittableRandom stream = rng.derive(e.getKey()).stream();
            e.getValue().setInitializer((m, shape, type) -> {
                NDArray a = Ops.constant(m, init.values(Math.toIntExact(shape.size()), stream), shape);
                return type == DataType.FLOAT32 ? a : a.toType(type, false);
            });
        }
        initializeAs(manager);
    }

    /** Creates every parameter with the initialisers already set on it (float32). */
    final void initializeAs(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1));
    }

    private Init initOf(Parameter p) {
        Init own = inits.get(p);
        if (own != null) {
            return own;
        }
        for (Map.Entry<String, Module> e : kids) {
            Init i = e.getValue().initOf(p);
            if (i != null) {
                return i;
            }
        }
        return null;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Map.Entry<String, Module> e : kids) {
            e.getValue().initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " computes its shapes by running");
    }

    /** The value of a parameter for this forward pass. */
    protected static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
        return ps.getValue(p, like.getDevice(), training);
    }

    /** Moves an array computed from a parameter into the manager of {@code like}. */
    protected static NDArray local(NDArray a, NDArray like) {
        a.attach(like.getManager());
        return a;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forwardList(ps, inputs, training));
    }

    /** DJL's calling convention: the inputs as a list, one output. */
    protected abstract NDArray forwardList(ParameterStore ps, NDList inputs, boolean training);
}
