using System.Diagnostics;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Training;

/// <summary>
/// Trains a classifier graph (first input: images [N,C,H,W]; first output: logits [N,K]) on an <see cref="ImageDataset"/>
/// with softmax cross-entropy. The graph's initializer tensors are the weights and are updated in place. Each step is
/// a pure function of (weights, optimizer state, seed, epoch, step), so a run resumed from a checkpoint ends with
/// bit-identical weights to one that was never interrupted (same thread count assumed).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly Dictionary<int, (Plan Plan, Tensor[] Gradients)> _plans = [];
    private readonly WorkerPool _pool;
    private readonly bool _ownsPool;
    private readonly int[] _order;
    private readonly int[] _labels;
    private readonly Parameter[] _parameters;
    private Plan? _boundPlan;
    private bool _stopRequested;
    private double _lossSum, _epochSeconds;
    private long _correct, _seen;

    /// <summary>The model; its initializers are trained in place.</summary>
    public ModelGraph Graph { get; }
    /// <summary>The training images.</summary>
    public ImageDataset Data { get; }
    /// <summary>Images evaluated at the end of every epoch, if any.</summary>
    public ImageDataset? Validation { get; }
    /// <summary>Settings of the run.</summary>
    public TrainerOptions Options { get; }
    /// <summary>The optimizer over the graph's trainable initializers (learning rate, state, masks).</summary>
    public Optimizer Optimizer { get; }
    /// <summary>Hooks called at step and epoch boundaries, in order.</summary>
    public List<ITrainingCallback> Callbacks { get; } = [];
    /// <summary>Called after every step and at the end of every epoch (progress bars).</summary>
    public Action<TrainingProgress>? Progress { get; set; }

    /// <summary>Epoch of the current (or next) step.</summary>
    public int Epoch { get; private set; }
    /// <summary>Index of the current (or next) step within its epoch.</summary>
    public int StepInEpoch { get; private set; }
    /// <summary>Steps completed in the run.</summary>
    public long GlobalStep { get; private set; }
    /// <summary>Steps in one epoch.</summary>
    public int StepsPerEpoch { get; }
    /// <summary>Images in the current step's batch.</summary>
    public int BatchCount { get; private set; }
    /// <summary>Loss of the last step.</summary>
    public double LastLoss { get; private set; } = double.NaN;
    /// <summary>True during an epoch that was entered by resuming from a checkpoint in its middle.</summary>
    public bool ResumedMidEpoch { get; private set; }
    /// <summary>The training plan of the current step (valid inside step callbacks).</summary>
    public Plan? CurrentPlan => _boundPlan;

    /// <summary>Sets up training of <paramref name="graph"/> on <paramref name="data"/>; nothing runs until <see cref="Run"/>.</summary>
    public Trainer(ModelGraph graph, ImageDataset data, TrainerOptions options, ImageDataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (data.Count == 0) throw new DataException($"{data.Source}: the training set is empty");
        Graph = graph;
        Data = data;
        Validation = validation;
        Options = options;
        _ownsPool = options.Pool is null && options.Threads > 0;
        _pool = options.Pool ?? (_ownsPool ? new WorkerPool(options.Threads) : WorkerPool.Default);
        StepsPerEpoch = options.DropLast ? data.Count / options.BatchSize : (data.Count + options.BatchSize - 1) / options.BatchSize;
        if (StepsPerEpoch == 0)
            throw new DataException($"{data.Source}: {data.Count} images do not fill one batch of {options.BatchSize} and the last batch is dropped");
        _order = new int[data.Count];
        _labels = new int[options.BatchSize];

        GraphValidation.ThrowIfUnsupported(graph); // before anything else, so that the error lists every missing op
        var names = Trainability.TrainableInitializers(graph);
        if (names.Count == 0) throw new ModelException($"model '{graph.Name}' has no trainable float initializers");
        // Gradients are bound per plan; until the first plan exists each parameter points at a zero placeholder.
        _parameters = names.Select(n => new Parameter(n, graph.Initializers[n], Tensor.Zeros(DataType.Float32, graph.Initializers[n].Shape))).ToArray();
        Optimizer = Optimizer.Create(options.Optimizer, _parameters, options.LearningRate, options.Momentum, options.WeightDecay,
            options.Nesterov, options.Beta1, options.Beta2, options.Epsilon);
    }

    /// <summary>The optimizer's parameter of initializer <paramref name="name"/> (to set a pruning mask, say).</summary>
    public Parameter Parameter(string name) => Array.Find(_parameters, p => p.Name == name)
        ?? throw new ArgumentException($"'{name}' is not a trainable parameter; parameters: {string.Join(", ", _parameters.Select(p => p.Name))}");

    /// <summary>Asks the run to stop after the current step (callbacks call this).</summary>
    public void RequestStop() => _stopRequested = true;

    /// <summary>Trains from the current position (the start, or where a loaded checkpoint left off) to the last epoch.</summary>
    public TrainingResult Run()
    {
        _stopRequested = false;
        var summaries = new List<EpochSummary>();
        var watch = new Stopwatch();
        while (Epoch < Options.Epochs)
        {
            if (Options.Shuffle) Data.Shuffle(_order, Options.Seed, Epoch);
            else for (int i = 0; i < _order.Length; i++) _order[i] = i;
            ResumedMidEpoch = StepInEpoch > 0;
            if (!ResumedMidEpoch) { _lossSum = 0; _correct = 0; _seen = 0; _epochSeconds = 0; }
            foreach (var c in Callbacks) c.OnEpochStart(this);

            while (StepInEpoch < StepsPerEpoch)
            {
                watch.Restart();
                TrainStep();
                _epochSeconds += watch.Elapsed.TotalSeconds;
                foreach (var c in Callbacks) c.OnStepEnd(this);
                Progress?.Invoke(Report(epochDone: false));
                if (_stopRequested && StepInEpoch < StepsPerEpoch) return Stop(summaries);
            }

            var validation = Validation is null ? (Evaluation?)null : Evaluate(Validation);
            var summary = new EpochSummary(Epoch, Mean(_lossSum, _seen), Mean(_correct, _seen), _epochSeconds,
                Mean(_seen, _epochSeconds), Optimizer.LearningRate, validation);
            summaries.Add(summary);
            Progress?.Invoke(Report(epochDone: true));
            foreach (var c in Callbacks) c.OnEpochEnd(this, summary);
            Epoch++;
            StepInEpoch = 0;
            ResumedMidEpoch = false;
            if (Options.CheckpointPath is { } path) CreateCheckpoint().Save(path);
            if (_stopRequested && Epoch < Options.Epochs) return Stop(summaries);
        }
        return new TrainingResult(summaries, false, GlobalStep);
    }

    private TrainingResult Stop(List<EpochSummary> summaries)
    {
        if (Options.CheckpointPath is { } path) CreateCheckpoint().Save(path);
        return new TrainingResult(summaries, true, GlobalStep);
    }

    private static double Mean(double sum, double count) => count == 0 ? 0 : sum / count;

    private void TrainStep()
    {
        int start = StepInEpoch * Options.BatchSize;
        int count = Math.Min(Options.BatchSize, Data.Count - start);
        BatchCount = count;
        var (plan, gradients) = PlanFor(count);
        if (!ReferenceEquals(plan, _boundPlan))
        {
            for (int i = 0; i < _parameters.Length; i++) _parameters[i].Gradient = gradients[i];
            _boundPlan = plan;
        }
        Optimizer.LearningRate = Options.Schedule.RateAt(Options.LearningRate, GlobalStep, StepsPerEpoch);
        foreach (var c in Callbacks) c.OnStepStart(this);

        Data.FillBatch(_order, start, count, plan.Input(0), _labels, Options.Augmentation, Options.Seed, Epoch);
        // Dropout's stream depends only on (seed, step), so a resumed run draws the same masks.
        plan.Context.Reseed(KeyedRandom.Hash(Options.Seed, 0x44524F50UL /* "DROP" */, (ulong)GlobalStep));
        plan.Run();
        var logits = plan.Output(0);
        double loss = SoftmaxCrossEntropy.Compute(logits, _labels, plan.OutputGradient(0), Options.LabelSmoothing, count);
        if (Options.Distillation is { } kd) loss = AddDistillation(kd, plan, logits, count, loss);
        if (!double.IsFinite(loss))
            throw new PrunusException($"training diverged: the loss is {loss} at epoch {Epoch + 1}, step {StepInEpoch + 1}; lower the learning rate (now {Optimizer.LearningRate:G4})");
        int correct = SoftmaxCrossEntropy.CountCorrect(logits, _labels, count);
        plan.Backward();
        Optimizer.Step();

        LastLoss = loss;
        _lossSum += loss * count;
        _correct += correct;
        _seen += count;
        StepInEpoch++;
        GlobalStep++;
    }

    private readonly Dictionary<int, Plan> _teacherPlans = [];

    /// <summary>Scales the label loss and its gradient by 1 - alpha and adds the teacher's soft term (see <see cref="Distillation"/>).</summary>
    private double AddDistillation(Distillation kd, Plan plan, Tensor logits, int count, double labelLoss)
    {
        if (!_teacherPlans.TryGetValue(count, out var teacher))
        {
            teacher = Planner.Compile(kd.Teacher, BatchShape.For(kd.Teacher, Data, count), new PlanOptions { Pool = _pool });
            _teacherPlans[count] = teacher;
        }
        teacher.Input(0).CopyFrom(plan.Input(0));
        teacher.Run();
        var gradient = plan.OutputGradient(0);
        System.Numerics.Tensors.TensorPrimitives.Multiply(gradient.Floats, (float)(1 - kd.Alpha), gradient.Floats);
        return (1 - kd.Alpha) * labelLoss + kd.AddSoftLoss(logits, teacher.Output(0), gradient, count);
    }

    private (Plan, Tensor[]) PlanFor(int count)
    {
        if (_plans.TryGetValue(count, out var entry)) return entry;
        var plan = Planner.Compile(Graph, BatchShape.For(Graph, Data, count), new PlanOptions { Training = true, Pool = _pool, Seed = Options.Seed });
        if (plan.OutputNames.Count == 0) throw new ModelException($"model '{Graph.Name}' has no output");
        var logits = plan.Output(0);
        if (logits.Type != DataType.Float32 || logits.Rank < 1 || logits.Shape[0] != count)
            throw new ModelException($"the first output '{plan.OutputNames[0]}' must be float logits [N,K] with N = {count}, got {logits}");
        int classes = logits.Length / count;
        if (Data.ClassCount > classes)
            throw new DataException($"{Data.Source} has {Data.ClassCount} classes but the model outputs {classes} logits");
        var gradients = _parameters.Select(p => plan.Parameters.Contains(p.Name) ? plan.Gradient(p.Name)
            : throw new ModelException($"parameter '{p.Name}' receives no gradient in the training plan")).ToArray();
        entry = (plan, gradients);
        _plans[count] = entry;
        return entry;
    }

    private TrainingProgress Report(bool epochDone) => new(Epoch, Options.Epochs, StepInEpoch, StepsPerEpoch, GlobalStep,
        Mean(_lossSum, _seen), Mean(_correct, _seen), Mean(_seen, _epochSeconds), _epochSeconds, Optimizer.LearningRate, epochDone);

    private Evaluator? _evaluator;

    /// <summary>Accuracy and loss of the current weights on <paramref name="data"/> (inference mode, batches of 1000).</summary>
    public Evaluation Evaluate(ImageDataset data) => (_evaluator ??= new Evaluator(Graph, 1000, _pool)).Evaluate(data);

    /// <summary>A snapshot of the run at its current position (copies of weights and state).</summary>
    public Checkpoint CreateCheckpoint()
    {
        var c = new Checkpoint
        {
            Configuration = Options.TrajectoryDescription(),
            Epoch = Epoch,
            StepInEpoch = StepInEpoch,
            GlobalStep = GlobalStep,
            Optimizer = Optimizer.Kind,
            OptimizerSteps = Optimizer.StepCount,
            RunningLossSum = _lossSum,
            RunningCorrect = _correct,
            RunningSeen = _seen,
            RunningSeconds = _epochSeconds,
        };
        foreach (var (name, t) in Graph.Initializers) c.Weights[name] = t.Clone();
        foreach (var (key, t) in Optimizer.State) c.OptimizerState[key] = t.Clone();
        foreach (var p in _parameters) if (p.Mask is { } m) c.Masks[p.Name] = m.Clone();
        return c;
    }

    /// <summary>Writes <see cref="CreateCheckpoint"/> to <paramref name="path"/> atomically.</summary>
    public void SaveCheckpoint(string path) => CreateCheckpoint().Save(path);

    /// <summary>Continues from the checkpoint in <paramref name="path"/> (see <see cref="Restore"/>).</summary>
    public void LoadCheckpoint(string path)
    {
        var c = Checkpoint.Load(path);
        try { Restore(c); }
        catch (DataException e) { throw new DataException($"{path}: {e.Message}", e); }
    }

    /// <summary>
    /// Restores weights (copied into the graph's tensors in place), optimizer state, masks, position and running metrics.
    /// The checkpoint must come from a run with the same settings and the same model structure.
    /// </summary>
    public void Restore(Checkpoint c)
    {
        var mine = Options.TrajectoryDescription();
        if (c.Configuration != mine)
        {
            var a = c.Configuration.Split("; ");
            var b = mine.Split("; ");
            var diff = a.Except(b).Select(s => $"checkpoint {s}").Concat(b.Except(a).Select(s => $"now {s}"));
            throw new DataException($"the checkpoint was made with other settings ({string.Join(", ", diff)}); resume with the same settings");
        }
        if (c.Optimizer != Optimizer.Kind) throw new DataException($"the checkpoint holds {c.Optimizer} state, the run uses {Optimizer.Kind}");
        foreach (var (name, t) in Graph.Initializers)
        {
            if (!c.Weights.TryGetValue(name, out var w)) throw new DataException($"the checkpoint has no weight '{name}'");
            if (w.Type != t.Type || !ShapeMath.SameShape(w.Shape, t.Shape)) throw new DataException($"weight '{name}' is {w} in the checkpoint but {t} in the model");
        }
        foreach (var name in c.Weights.Keys)
            if (!Graph.Initializers.ContainsKey(name)) throw new DataException($"the checkpoint's weight '{name}' is not in the model");
        foreach (var name in c.Masks.Keys) Parameter(name);
        if (c.Epoch < 0 || c.StepInEpoch < 0 || c.StepInEpoch >= StepsPerEpoch)
            throw new DataException($"the checkpoint's position (epoch {c.Epoch}, step {c.StepInEpoch}) does not fit {StepsPerEpoch} steps per epoch");

        Optimizer.LoadState(c.OptimizerState, c.OptimizerSteps);
        foreach (var (name, t) in Graph.Initializers) t.CopyFrom(c.Weights[name]);
        foreach (var p in _parameters) p.Mask = c.Masks.TryGetValue(p.Name, out var m) ? m.Clone() : null;
        Epoch = c.Epoch;
        StepInEpoch = c.StepInEpoch;
        GlobalStep = c.GlobalStep;
        _lossSum = c.RunningLossSum;
        _correct = c.RunningCorrect;
        _seen = c.RunningSeen;
        _epochSeconds = c.RunningSeconds;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsPool) _pool.Dispose();
    }
}
