using System.Globalization;

namespace DeepGraph;

/// <summary>
/// Conversions between dtypes where a tensor meets a consumer of another dtype (a model input, a
/// layer's input), as Keras casts: int32 and bool become float32 exactly (an int32 beyond 2^24 is
/// rounded, as in any float32 cast); float32 becomes int32 only when every value is an integer in
/// int32's range, and bool only from 0 and 1 — anything else is refused, naming the value and where
/// it is, rather than truncated silently.
/// </summary>
internal static class DTypeConversion
{
    /// <summary>
    /// <paramref name="tensor"/> as <paramref name="dtype"/>: itself when it already is, otherwise a
    /// new tensor (not pooled) holding the converted values.
    /// </summary>
    /// <param name="tensor">The tensor to convert.</param>
    /// <param name="dtype">The dtype wanted.</param>
    /// <param name="what">What the tensor is fed to, for the error (<c>input 0 of model "m" (layer "tokens")</c>).</param>
    /// <exception cref="ArgumentException">A value cannot be represented in <paramref name="dtype"/>; the message names it, its index and <paramref name="what"/>.</exception>
    public static Tensor Convert(Tensor tensor, DType dtype, Func<string> what)
    {
        if (tensor.DType == dtype) return tensor;
        var data = new float[tensor.Length];
        if (dtype == DType.Float32)
        {
            // int32 and bool (0 or 1) values to float32.
            var ints = tensor.Ints;
            for (int i = 0; i < ints.Length; i++) data[i] = ints[i];
            return Tensor.Own(data, tensor.Shape, DType.Float32);
        }
        var result = Tensor.Own(data, tensor.Shape, dtype);
        var into = result.IntData;
        if (tensor.DType == DType.Float32)
        {
            var values = tensor.Span;
            for (int i = 0; i < values.Length; i++)
            {
                float v = values[i];
                bool ok = dtype == DType.Bool ? v is 0f or 1f : float.IsInteger(v) && v >= int.MinValue && v < 2147483648f;
                if (!ok) throw Refuse(tensor, dtype, i, v.ToString("R", CultureInfo.InvariantCulture), what, "float32");
                into[i] = (int)v;
            }
        }
        else
        {
            // int32 to bool (0 or 1 only), bool to int32 (the same bits).
            var ints = tensor.Ints;
            for (int i = 0; i < ints.Length; i++)
            {
                if (dtype == DType.Bool && ints[i] is not (0 or 1))
                    throw Refuse(tensor, dtype, i, ints[i].ToString(CultureInfo.InvariantCulture), what, tensor.DType.Name());
                into[i] = ints[i];
            }
        }
        return result;
    }

    private static ArgumentException Refuse(Tensor tensor, DType dtype, int offset, string value, Func<string> what, string from)
    {
        var index = new int[tensor.Shape.Rank];
        for (int a = index.Length - 1, rest = offset; a >= 0; a--)
        {
            int d = tensor.Shape[a]!.Value;
            index[a] = rest % d;
            rest /= d;
        }
        string where = "(" + string.Join(", ", index) + (index.Length == 1 ? ",)" : ")");
        string expected = dtype == DType.Bool ? "0 or 1" : "an integer in int32's range";
        return new ArgumentException(
            $"The {from} tensor of shape {tensor.Shape} given for {what()}, which is {dtype.Name()}, holds {value} at index {where}, which is not {expected}. " +
            $"Keras casts {from} values to {dtype.Name()} only when they are exact; round or convert the data first.");
    }
}
