using System.Text;
using IntegrationHub.Adapters.Hl7v2.Internals;

namespace IntegrationHub.Adapters.Hl7v2;

public enum Hl7Level { Field, Repetition, Component, SubComponent, Literal }

/// <summary>
/// A field, repetition, component or sub-component: a slice plus the delimiters. Children are found by scanning the
/// slice on demand; <see cref="Value"/> decodes escapes then. A default element is empty.
/// </summary>
public readonly struct Hl7Element
{
    readonly Hl7Delimiters _d;
    readonly Encoding? _encoding;

    internal Hl7Element(ReadOnlyMemory<char> raw, Hl7Delimiters d, Hl7Level level, Encoding encoding)
    {
        Raw = raw;
        _d = d;
        Level = level;
        _encoding = encoding;
    }

    public ReadOnlyMemory<char> Raw { get; }
    public Hl7Level Level { get; }
    public bool IsEmpty => Raw.IsEmpty;
    /// <summary>HL7 null: the two characters <c>""</c> (delete the value in the receiver).</summary>
    public bool IsNull => Raw.Span is "\"\"";

    char? Separator => Level switch
    {
        Hl7Level.Field => _d.Repetition,
        Hl7Level.Repetition => _d.Component,
        Hl7Level.Component => _d.SubComponent,
        _ => null,
    };

    Hl7Level ChildLevel => Level switch
    {
        Hl7Level.Field => Hl7Level.Repetition,
        Hl7Level.Repetition => Hl7Level.Component,
        _ => Hl7Level.SubComponent,
    };

    /// <summary>How many children (repetitions, components, sub-components); 0 when empty, 1 for a leaf.</summary>
    public int Count
    {
        get
        {
            if (Raw.IsEmpty) return 0;
            if (Separator is not { } sep) return 1;
            return Raw.Span.Count(sep) + 1;
        }
    }

    /// <summary>1-based child; a leaf is its own first child, and anything past the end is empty.</summary>
    public Hl7Element Child(int index)
    {
        if (Separator is not { } sep)
            return index == 1 ? this : default;
        var span = Raw.Span;
        var start = 0;
        for (var i = 1; i < index; i++)
        {
            var next = span[start..].IndexOf(sep);
            if (next < 0) return default;
            start += next + 1;
        }
        var len = span[start..].IndexOf(sep);
        return new Hl7Element(len < 0 ? Raw[start..] : Raw.Slice(start, len), _d, ChildLevel, _encoding!);
    }

    public IEnumerable<Hl7Element> Children()
    {
        for (int i = 1, n = Count; i <= n; i++) yield return Child(i);
    }

    public Hl7Element Repetition(int index) => Level == Hl7Level.Field ? Child(index) : index == 1 ? this : default;

    /// <summary>Component of the first repetition (or of this repetition).</summary>
    public Hl7Element Component(int index) => Level switch
    {
        Hl7Level.Field => Child(1).Child(index),
        Hl7Level.Repetition => Child(index),
        _ => index == 1 ? this : default,
    };

    /// <summary>v2.7: the value ends with the declared truncation character (it was cut by the sender).</summary>
    public bool IsTruncated => _d.Truncation is { } t && Level != Hl7Level.Literal && !Raw.IsEmpty && Raw.Span[^1] == t;

    /// <summary>
    /// The decoded text. For a leaf: escapes resolved (formatting escapes such as <c>\.br\</c> kept as written). For a
    /// field, repetition or component: the value of its first leaf. A trailing truncation character is dropped
    /// (see <see cref="IsTruncated"/>).
    /// </summary>
    public string Value
    {
        get
        {
            if (Raw.IsEmpty) return "";
            if (Level == Hl7Level.Literal) return Raw.ToString();
            // The first leaf ends at the first separator of any lower level: one vectorised search, no child chain.
            var raw = Raw.Span;
            var cut = Level switch
            {
                Hl7Level.Field => raw.IndexOfAny(_d.Repetition, _d.Component, _d.SubComponent),
                Hl7Level.Repetition => raw.IndexOfAny(_d.Component, _d.SubComponent),
                Hl7Level.Component => raw.IndexOf(_d.SubComponent),
                _ => -1,
            };
            if (cut >= 0) raw = raw[..cut];
            if (_d.Truncation is { } t && !raw.IsEmpty && raw[^1] == t) raw = raw[..^1];
            return Escapes.Decode(raw, _d, _encoding!);
        }
    }

    public override string ToString() => Value;
}
