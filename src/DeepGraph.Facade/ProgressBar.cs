using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

[assembly: InternalsVisibleTo("DeepGraph.Properties")]

namespace DeepGraph.Keras;

/// <summary>
/// The progress line <c>Fit</c> prints, as tf.keras 2.x's <c>Progbar</c> (driven by <c>ProgbarLogger</c>
/// in step mode) prints it. One bar per epoch: make a new one when the epoch begins.
/// <list type="bullet">
/// <item>verbose 1: <c>469/469 [==============================] - 4s 8ms/step - loss: 0.3012 - accuracy: 0.8921</c>;
/// while running, <c>234/469 [==============&gt;...............] - ETA: 1s - loss: 0.3120</c>.</item>
/// <item>verbose 2: <c>469/469 - 4s - loss: 0.3012 - accuracy: 0.8921 - 4s/epoch - 8ms/step</c>, once, at the end.</item>
/// </list>
/// On an interactive writer (a terminal) verbose 1 redraws the line in place (<c>\r</c>, padded with spaces
/// when it got shorter, flushed), at most every <c>interval</c> seconds (0.05, as Keras) and always when
/// finalizing. On any other writer (output redirected to a file or a pipe) it prints one line per epoch,
/// when finalizing. Values are shown as given (Fit passes running means): Keras treats every compiled
/// metric, and the loss, as a stateful metric shown as-is.
/// </summary>
internal sealed class ProgressBar
{
    private readonly int target;
    private readonly TextWriter output;
    private readonly int verbose;
    private readonly bool interactive;
    private readonly Func<double> clock;
    private readonly int width;
    private readonly double interval;
    private readonly string unitName;
    private readonly int digits;

    private readonly List<string> order = [];
    private readonly Dictionary<string, double> values = [];
    private readonly double start;
    private double lastUpdate = double.NegativeInfinity;
    private double? timeAfterFirstStep;
    private double timeAtEpochStart;
    private double? timeAtEpochEnd;
    private int totalWidth;

    /// <summary>A bar for an epoch of <paramref name="target"/> steps; its clock starts now.</summary>
    /// <param name="target">Steps in the epoch (at least 1).</param>
    /// <param name="output">Where the bar is written.</param>
    /// <param name="verbose">0 prints nothing, 1 the bar, 2 one line per epoch.</param>
    /// <param name="interactive">True for a terminal (redraw in place); see <see cref="IsInteractive"/>.</param>
    /// <param name="clock">The time in seconds (any origin); defaults to <see cref="Stopwatch"/>.</param>
    /// <param name="width">Bar width in characters (Keras: 30).</param>
    /// <param name="interval">Least time between two redraws in seconds (Keras: 0.05).</param>
    /// <param name="unitName">What a step is called in <c>8ms/step</c>.</param>
    public ProgressBar(int target, TextWriter output, int verbose = 1, bool interactive = false, Func<double>? clock = null,
        int width = 30, double interval = 0.05, string unitName = "step")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(target, 1);
        ArgumentNullException.ThrowIfNull(output);
        if (verbose is < 0 or > 2)
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch).");
        this.target = target;
        this.output = output;
        this.verbose = verbose;
        this.interactive = interactive;
        this.clock = clock ?? StopwatchSeconds;
        this.width = width;
        this.interval = interval;
        this.unitName = unitName;
        digits = target.ToString(CultureInfo.InvariantCulture).Length;
        start = this.clock();
        timeAtEpochStart = start;
    }

    private static double StopwatchSeconds() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>True when <paramref name="writer"/> is the console and the console is a terminal (not redirected).</summary>
    public static bool IsInteractive(TextWriter writer) => ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>
    /// Writes Keras's <c>Epoch 3/10</c> line (<paramref name="epoch"/> is 0-based) when <paramref name="verbose"/>
    /// is not 0 and there is more than one epoch, as <c>ProgbarLogger.on_epoch_begin</c> does.
    /// </summary>
    public static void WriteEpochHeader(TextWriter output, int verbose, int epoch, int epochs)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (verbose != 0 && epochs > 1)
        {
            output.Write($"Epoch {epoch + 1}/{epochs}\n");
            output.Flush();
        }
    }

    /// <summary>
    /// Shows step <paramref name="step"/> (1-based: the number of steps done) with <paramref name="values"/>
    /// (names in order of first appearance; a name not given keeps its last value, so <c>val_…</c> values
    /// can be added when finalizing). <paramref name="finalize"/> ends the epoch's line; pass the target
    /// as the step then, as Keras does even when training stopped early.
    /// </summary>
    public void Update(int step, IReadOnlyList<(string Name, double Value)> values, bool finalize = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (name, value) in values)
        {
            if (!this.values.ContainsKey(name)) order.Add(name);
            this.values[name] = value;
        }

        double now = clock();
        if (step == 1) timeAfterFirstStep = now;
        if (step == target) timeAtEpochEnd = now;
        string elapsed = $" - {PyFormat.Fixed(now - start, 0)}s";

        if (verbose == 1)
        {
            if (!finalize && (!interactive || now - lastUpdate < interval)) return;
            var bar = new StringBuilder();
            bar.Append(step.ToString(CultureInfo.InvariantCulture).PadLeft(digits)).Append('/').Append(target).Append(" [");
            int progWidth = (int)(width * ((double)step / target));
            if (progWidth > 0)
            {
                bar.Append('=', progWidth - 1);
                bar.Append(step < target ? '>' : '=');
            }
            bar.Append('.', Math.Max(0, width - progWidth));
            bar.Append(']');

            double timePerUnit = EstimateStepDuration(step, now);
            var info = new StringBuilder(finalize ? elapsed + FormatTime(timePerUnit, unitName) : $" - ETA: {FormatEta(timePerUnit * (target - step))}");
            foreach (var name in order)
                info.Append(" - ").Append(name).Append(": ").Append(FormatValue(this.values[name], absolute: true));

            int previousWidth = totalWidth;
            totalWidth = bar.Length + info.Length;
            var message = new StringBuilder();
            if (interactive)
            {
                message.Append('\r').Append(bar).Append(info);
                if (previousWidth > totalWidth) message.Append(' ', previousWidth - totalWidth);
            }
            else
            {
                message.Append(bar).Append(info);
            }
            if (finalize) message.Append('\n');
            output.Write(message.ToString());
            output.Flush();
        }
        else if (verbose == 2 && finalize)
        {
            var info = new StringBuilder();
            info.Append(step.ToString(CultureInfo.InvariantCulture).PadLeft(digits)).Append('/').Append(target).Append(elapsed);
            foreach (var name in order)
                info.Append(" - ").Append(name).Append(": ").Append(FormatValue(this.values[name], absolute: false));
            double timePerEpoch = (timeAtEpochEnd ?? now) - timeAtEpochStart;
            timeAtEpochStart = now;
            timeAtEpochEnd = null;
            info.Append(" -").Append(FormatTime(timePerEpoch, "epoch"));
            info.Append(" -").Append(FormatTime(timePerEpoch / target, unitName));
            info.Append('\n');
            output.Write(info.ToString());
            output.Flush();
        }
        lastUpdate = now;
    }

    /// <summary>
    /// A value as Keras shows it: <c>%.4f</c> above 1e-3, else <c>%.4e</c>. Verbose 1 compares the absolute
    /// value; verbose 2 compares the value itself, so Keras shows a negative value there in <c>%.4e</c>.
    /// </summary>
    internal static string FormatValue(double value, bool absolute) =>
        (absolute ? Math.Abs(value) : value) > 1e-3 ? PyFormat.Fixed(value, 4) : PyFormat.Exponent(value, 4);

    /// <summary>Keras's <c>_format_time</c>: <c> 4s/epoch</c>, <c> 8ms/step</c>, <c> 50us/step</c> (with the leading space).</summary>
    internal static string FormatTime(double timePerUnit, string unitName)
    {
        if (timePerUnit >= 1 || timePerUnit == 0) return $" {PyFormat.Fixed(timePerUnit, 0)}s/{unitName}";
        if (timePerUnit >= 1e-3) return $" {PyFormat.Fixed(timePerUnit * 1000.0, 0)}ms/{unitName}";
        return $" {PyFormat.Fixed(timePerUnit * 1000000.0, 0)}us/{unitName}";
    }

    /// <summary>Keras's ETA: <c>42s</c>, <c>1:05</c> above a minute, <c>1:01:05</c> above an hour (truncated, not rounded).</summary>
    internal static string FormatEta(double eta)
    {
        static long Trunc(double x) => (long)Math.Floor(x);
        if (eta > 3600) return $"{Trunc(eta / 3600)}:{Trunc(eta % 3600 / 60):00}:{Trunc(eta % 60):00}";
        if (eta > 60) return $"{Trunc(eta / 60)}:{Trunc(eta % 60):00}";
        return $"{(long)eta}s";
    }

    /// <summary>
    /// Keras's <c>_estimate_step_duration</c>: the time per step, leaving out the first step (which is
    /// usually slow) once there are more.
    /// </summary>
    private double EstimateStepDuration(int current, double now)
    {
        if (current == 0) return 0;
        if (timeAfterFirstStep is double t && current > 1) return (now - t) / (current - 1);
        return (now - start) / current;
    }
}

/// <summary>
/// Python's number formatting (<c>%.4f</c>, <c>%.4e</c>, <c>repr</c>, <c>str.format</c>), which Keras's
/// output is made of. Rounding is Python's: the exact binary value, halves to even.
/// </summary>
internal static class PyFormat
{
    private static string NonFinite(double x, bool upper = false)
    {
        var s = double.IsNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
        return upper ? s.ToUpperInvariant() : s;
    }

    private static (BigInteger Mantissa, int Exponent) Decompose(double abs)
    {
        long bits = BitConverter.DoubleToInt64Bits(abs) & long.MaxValue;
        int biased = (int)(bits >> 52);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        return biased == 0 ? (fraction, -1074) : (fraction | (1L << 52), biased - 1075);
    }

    private static BigInteger RoundHalfEven(BigInteger num, BigInteger den)
    {
        var q = BigInteger.DivRem(num, den, out var r);
        int c = (r * 2).CompareTo(den);
        return c > 0 || (c == 0 && !q.IsEven) ? q + 1 : q;
    }

    /// <summary>|x| × 10^<paramref name="scale"/>, rounded to an integer.</summary>
    private static BigInteger Scaled(double abs, int scale)
    {
        var (m, e) = Decompose(abs);
        BigInteger num = m, den = BigInteger.One;
        if (e >= 0) num <<= e; else den <<= -e;
        if (scale >= 0) num *= BigInteger.Pow(10, scale); else den *= BigInteger.Pow(10, -scale);
        return RoundHalfEven(num, den);
    }

    /// <summary>The <paramref name="significant"/> digits of |x| &gt; 0 and the decimal exponent of the first.</summary>
    private static (string Digits, int Exponent) SignificantDigits(double abs, int significant)
    {
        int k = (int)Math.Floor(Math.Log10(abs));
        var low = BigInteger.Pow(10, significant - 1);
        var high = low * 10;
        while (true)
        {
            var q = Scaled(abs, significant - 1 - k);
            if (q >= high) k++;
            else if (q < low) k--;
            else return (q.ToString(CultureInfo.InvariantCulture), k);
        }
    }

    private static bool Negative(double x) => !double.IsNaN(x) && BitConverter.DoubleToInt64Bits(x) < 0;

    private static string ExponentSuffix(int exponent, bool upper) =>
        (upper ? "E" : "e") + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);

    /// <summary>Python's <c>'%.{decimals}f' % x</c>.</summary>
    public static string Fixed(double x, int decimals, bool upper = false) =>
        double.IsFinite(x) ? (Negative(x) ? "-" : "") + FixedAbs(Math.Abs(x), decimals, alternate: false) : NonFinite(x, upper);

    private static string FixedAbs(double abs, int decimals, bool alternate)
    {
        var s = Scaled(abs, decimals).ToString(CultureInfo.InvariantCulture);
        if (decimals == 0) return alternate ? s + "." : s;
        s = s.PadLeft(decimals + 1, '0');
        return s[..^decimals] + "." + s[^decimals..];
    }

    /// <summary>Python's <c>'%.{decimals}e' % x</c>: <c>1.2346e-05</c>.</summary>
    public static string Exponent(double x, int decimals, bool upper = false) =>
        double.IsFinite(x) ? (Negative(x) ? "-" : "") + ExponentAbs(Math.Abs(x), decimals, alternate: false, upper) : NonFinite(x, upper);

    private static string ExponentAbs(double abs, int decimals, bool alternate, bool upper)
    {
        var (digits, exponent) = abs == 0 ? (new string('0', decimals + 1), 0) : SignificantDigits(abs, decimals + 1);
        var mantissa = decimals > 0 ? digits[..1] + "." + digits[1..] : alternate ? digits + "." : digits;
        return mantissa + ExponentSuffix(exponent, upper);
    }

    /// <summary>Python's <c>'%.{precision}g' % x</c>; <paramref name="addDot0"/> gives the float form of an empty format type with a precision.</summary>
    private static string GeneralAbs(double abs, int precision, bool alternate, bool upper, bool addDot0 = false)
    {
        if (precision == 0) precision = 1;
        var (digits, exponent) = abs == 0 ? (new string('0', precision), 0) : SignificantDigits(abs, precision);
        bool useExponent = exponent < -4 || exponent >= (addDot0 ? precision - 1 : precision);
        string body;
        if (useExponent)
        {
            var fraction = digits[1..];
            if (!alternate) fraction = fraction.TrimEnd('0');
            body = digits[..1] + (fraction.Length > 0 || alternate ? "." + fraction : "") + ExponentSuffix(exponent, upper);
        }
        else
        {
            string integer, fraction;
            if (exponent >= 0)
            {
                integer = digits[..(exponent + 1)];
                fraction = digits[(exponent + 1)..];
            }
            else
            {
                integer = "0";
                fraction = new string('0', -exponent - 1) + digits;
            }
            if (!alternate) fraction = fraction.TrimEnd('0');
            if (addDot0 && fraction.Length == 0) fraction = "0";
            body = integer + (fraction.Length > 0 || alternate ? "." + fraction : "");
        }
        return body;
    }

    /// <summary>Python's <c>repr(x)</c> of a float: shortest round-trip digits, <c>1.0</c>, <c>1e-05</c>, <c>1e+16</c>.</summary>
    public static string Repr(double x) =>
        double.IsFinite(x) ? (Negative(x) ? "-" : "") + ReprAbs(Math.Abs(x)) : NonFinite(x);

    private static string ReprAbs(double abs)
    {
        if (abs == 0) return "0.0";
        var r = abs.ToString("R", CultureInfo.InvariantCulture);
        int ePos = r.IndexOfAny(['E', 'e']);
        int exp10 = ePos < 0 ? 0 : int.Parse(r[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = ePos < 0 ? r : r[..ePos];
        int dot = mantissa.IndexOf('.');
        string all = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int point = (dot < 0 ? mantissa.Length : dot) + exp10; // digits before the decimal point
        int lead = all.Length - all.TrimStart('0').Length;
        all = all[lead..];
        point -= lead;
        all = all.TrimEnd('0');
        int exponent = point - 1;
        if (exponent < -4 || exponent >= 16)
            return all[..1] + (all.Length > 1 ? "." + all[1..] : "") + ExponentSuffix(exponent, upper: false);
        if (point <= 0) return "0." + new string('0', -point) + all;
        if (point >= all.Length) return all + new string('0', point - all.Length) + ".0";
        return all[..point] + "." + all[point..];
    }

    /// <summary>
    /// Python's <c>template.format(**values)</c> for named fields holding <see cref="long"/>, <see cref="int"/>
    /// or <see cref="double"/> values: <c>{{</c>, <c>}}</c>, <c>{name}</c>, <c>{name!r}</c> and format specs
    /// (<c>[[fill]align][sign][z][#][0][width][,|_][.precision][type]</c>, types <c>d b o x X e E f F g G %</c>).
    /// </summary>
    /// <exception cref="KeyNotFoundException">A field names no value; the message is the key as Python's <c>KeyError</c> shows it (<c>'val_loss'</c>).</exception>
    /// <exception cref="FormatException">The template or a format spec is malformed or unsupported.</exception>
    public static string Format(string template, Func<string, object?> lookup)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '{')
            {
                if (i + 1 < template.Length && template[i + 1] == '{') { sb.Append('{'); i++; continue; }
                int close = template.IndexOf('}', i + 1);
                if (close < 0) throw new FormatException("Single '{' encountered in format string");
                var field = template[(i + 1)..close];
                if (field.Contains('{')) throw new FormatException($"Nested replacement fields are not supported: \"{template}\".");
                sb.Append(FormatField(field, lookup));
                i = close;
            }
            else if (c == '}')
            {
                if (i + 1 < template.Length && template[i + 1] == '}') { sb.Append('}'); i++; continue; }
                throw new FormatException("Single '}' encountered in format string");
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static string FormatField(string field, Func<string, object?> lookup)
    {
        int end = field.IndexOfAny(['!', ':']);
        var name = end < 0 ? field : field[..end];
        char? conversion = null;
        string spec = "";
        if (end >= 0 && field[end] == '!')
        {
            if (end + 1 >= field.Length || "rsa".IndexOf(field[end + 1]) < 0) throw new FormatException("Unknown conversion specifier in format string");
            conversion = field[end + 1];
            if (end + 2 < field.Length)
            {
                if (field[end + 2] != ':') throw new FormatException("Expected ':' after conversion specifier");
                spec = field[(end + 3)..];
            }
        }
        else if (end >= 0) spec = field[(end + 1)..];
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            throw new FormatException($"Replacement index {(name.Length == 0 ? "0" : name)} out of range for positional args tuple");
        var value = lookup(name) ?? throw new KeyNotFoundException($"'{name}'");
        if (conversion is not null)
            return FormatString(Str(value), spec);
        return value switch
        {
            double d => FormatDouble(d, spec),
            float f => FormatDouble(f, spec),
            int n => FormatInteger(n, spec),
            long n => FormatInteger(n, spec),
            string s => FormatString(s, spec),
            _ => throw new FormatException($"Cannot format a value of type {value.GetType().Name}."),
        };
    }

    private static string Str(object value) => value switch
    {
        double d => Repr(d),
        float f => Repr(f),
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private sealed record Spec(char Fill, char? Align, char Sign, bool NoNegativeZero, bool Alternate, int Width, char? Grouping, int? Precision, char? Type);

    private static Spec ParseSpec(string spec)
    {
        int i = 0;
        char fill = ' ';
        char? align = null;
        if (spec.Length >= 2 && "<>=^".Contains(spec[1])) { fill = spec[0]; align = spec[1]; i = 2; }
        else if (spec.Length >= 1 && "<>=^".Contains(spec[0])) { align = spec[0]; i = 1; }
        char sign = '-';
        if (i < spec.Length && "+- ".Contains(spec[i])) sign = spec[i++];
        bool z = false, alternate = false;
        if (i < spec.Length && spec[i] == 'z') { z = true; i++; }
        if (i < spec.Length && spec[i] == '#') { alternate = true; i++; }
        if (i < spec.Length && spec[i] == '0')
        {
            if (align is null) { fill = '0'; align = '='; }
            i++;
        }
        int width = 0;
        while (i < spec.Length && char.IsAsciiDigit(spec[i])) width = checked(width * 10 + (spec[i++] - '0'));
        char? grouping = null;
        if (i < spec.Length && spec[i] is ',' or '_') grouping = spec[i++];
        int? precision = null;
        if (i < spec.Length && spec[i] == '.')
        {
            i++;
            if (i >= spec.Length || !char.IsAsciiDigit(spec[i])) throw new FormatException("Format specifier missing precision");
            int p = 0;
            while (i < spec.Length && char.IsAsciiDigit(spec[i])) p = checked(p * 10 + (spec[i++] - '0'));
            precision = p;
        }
        char? type = i < spec.Length ? spec[i++] : null;
        if (i != spec.Length) throw new FormatException($"Invalid format specifier '{spec}'");
        return new Spec(fill, align, sign, z, alternate, width, grouping, precision, type);
    }

    private static string FormatDouble(double x, string specText)
    {
        var spec = ParseSpec(specText);
        bool upper = spec.Type is 'E' or 'F' or 'G';
        string body;
        if (!double.IsFinite(x))
        {
            if (spec.Type is not (null or 'e' or 'E' or 'f' or 'F' or 'g' or 'G' or '%'))
                throw new FormatException($"Unknown format code '{spec.Type}' for object of type 'float'");
            body = NonFinite(Math.Abs(x), upper) + (spec.Type == '%' ? "%" : "");
        }
        else
        {
            double abs = Math.Abs(x);
            body = spec.Type switch
            {
                'f' or 'F' => FixedAbs(abs, spec.Precision ?? 6, spec.Alternate),
                'e' or 'E' => ExponentAbs(abs, spec.Precision ?? 6, spec.Alternate, upper),
                'g' or 'G' => GeneralAbs(abs, spec.Precision ?? 6, spec.Alternate, upper),
                '%' => FixedAbs(abs * 100, spec.Precision ?? 6, spec.Alternate) + "%",
                null => spec.Precision is int p ? GeneralAbs(abs, p, spec.Alternate, upper: false, addDot0: true) : ReprAbs(abs),
                _ => throw new FormatException($"Unknown format code '{spec.Type}' for object of type 'float'"),
            };
        }
        bool negative = Negative(x);
        if (negative && spec.NoNegativeZero && !body.Any(ch => ch is >= '1' and <= '9')) negative = false;
        return Pad(negative, Group(body, spec.Grouping), spec);
    }

    private static string FormatInteger(long n, string specText)
    {
        var spec = ParseSpec(specText);
        if (spec.Type is 'e' or 'E' or 'f' or 'F' or 'g' or 'G' or '%') return FormatDouble(n, specText);
        if (spec.Precision is not null) throw new FormatException("Precision not allowed in integer format specifier");
        var abs = BigInteger.Abs(n);
        string body = spec.Type switch
        {
            null or 'd' => abs.ToString(CultureInfo.InvariantCulture),
            'x' => (spec.Alternate ? "0x" : "") + ToBase(abs, 16, false),
            'X' => (spec.Alternate ? "0X" : "") + ToBase(abs, 16, true),
            'o' => (spec.Alternate ? "0o" : "") + ToBase(abs, 8, false),
            'b' => (spec.Alternate ? "0b" : "") + ToBase(abs, 2, false),
            _ => throw new FormatException($"Unknown format code '{spec.Type}' for object of type 'int'"),
        };
        if (spec.Type is null or 'd') body = Group(body, spec.Grouping);
        return Pad(n < 0, body, spec);
    }

    private static string ToBase(BigInteger n, int radix, bool upper)
    {
        if (n.IsZero) return "0";
        const string lowerDigits = "0123456789abcdef";
        var sb = new StringBuilder();
        while (!n.IsZero)
        {
            n = BigInteger.DivRem(n, radix, out var r);
            char d = lowerDigits[(int)r];
            sb.Insert(0, upper ? char.ToUpperInvariant(d) : d);
        }
        return sb.ToString();
    }

    private static string FormatString(string s, string specText)
    {
        var spec = ParseSpec(specText);
        if (spec.Type is not (null or 's')) throw new FormatException($"Unknown format code '{spec.Type}' for object of type 'str'");
        if (spec.Precision is int p && s.Length > p) s = s[..p];
        int pad = spec.Width - s.Length;
        if (pad <= 0) return s;
        return (spec.Align ?? '<') switch
        {
            '>' => new string(spec.Fill, pad) + s,
            '^' => new string(spec.Fill, pad / 2) + s + new string(spec.Fill, pad - pad / 2),
            '=' => throw new FormatException("'=' alignment not allowed in string format specifier"),
            _ => s + new string(spec.Fill, pad),
        };
    }

    /// <summary>Puts <paramref name="separator"/> between groups of three digits of the integer part.</summary>
    private static string Group(string body, char? separator)
    {
        if (separator is not char sep) return body;
        int end = 0;
        while (end < body.Length && char.IsAsciiDigit(body[end])) end++;
        if (end <= 3) return body;
        var sb = new StringBuilder();
        for (int i = 0; i < end; i++)
        {
            if (i > 0 && (end - i) % 3 == 0) sb.Append(sep);
            sb.Append(body[i]);
        }
        return sb.Append(body[end..]).ToString();
    }

    private static string Pad(bool negative, string body, Spec spec)
    {
        string sign = negative ? "-" : spec.Sign == '+' ? "+" : spec.Sign == ' ' ? " " : "";
        int pad = spec.Width - sign.Length - body.Length;
        if (pad <= 0) return sign + body;
        return (spec.Align ?? '>') switch
        {
            '<' => sign + body + new string(spec.Fill, pad),
            '^' => new string(spec.Fill, pad / 2) + sign + body + new string(spec.Fill, pad - pad / 2),
            '=' => sign + new string(spec.Fill, pad) + body,
            _ => new string(spec.Fill, pad) + sign + body,
        };
    }
}
