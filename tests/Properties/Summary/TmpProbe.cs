using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;
namespace DeepGraph.Properties.Summary;
public class TmpProbe
{
    [Fact]
    public void Probe()
    {
        Backend.ClearSession();
        var d = Dense(4, name: "shared");
        var in1 = Input(shape: [3], name: "a");
        var x1 = d.Call(in1);
        var in2 = Input(shape: [3], name: "b");
        var x2 = d.Call(in2);
        var c = Concatenate(name: "cat").Call(x2, in2);
        var m = new Model(in2, c, name: "m");
        var lines = new List<string>(); m.Summary(lines.Add);
        Assert.Fail(string.Join("\n", lines));
    }
}
