using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;

namespace Prunus.Tests.RealModels;

/// <summary>A model input of an element type Prunus cannot store is refused at plan time with a message, not a crash.</summary>
public class UnstorableInputTests
{
    [Fact]
    public void Float16_input_is_refused_with_a_model_error()
    {
        // Cast accepts any input type, so only the planner can say that a float16 input has no storage.
        var g = new ModelGraph();
        g.Inputs.Add(new ValueInfo("x", (DataType)10, [2]));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
        var cast = new Node("Cast", "cast", ["x"], ["y"]);
        cast.Attributes["to"] = AttributeValue.Of(1L);
        g.Nodes.Add(cast);
        var e = Assert.Throws<ModelException>(() => Planner.Compile(g, new Dictionary<string, int[]> { ["x"] = [2] }));
        Assert.Contains("'x' has element type 10", e.Message);
    }
}
