using System.Text.Encodings.Web;
using Fluid;
using Fluid.Values;

namespace IntegrationHub.Adapters.Notifications;

/// <summary>One language's text of a template: the SMS body, or an e-mail's subject and body.</summary>
public sealed record TemplateText(string Body, string? Subject = null);

/// <summary>What rendering gave: the text in the language used (the asked one, or the fallback), or why it cannot be sent.</summary>
public abstract record Rendered
{
    public sealed record Text(string Language, string Body, string? Subject, SmsShape? Sms) : Rendered;

    /// <param name="Problems">Every problem at once: missing data by name, a syntax error, too many SMS segments.</param>
    public sealed record Refused(IReadOnlyList<string> Problems) : Rendered;
}

/// <summary>
/// A department's template, with a text per language (<c>en</c>, <c>ur</c>, <c>hi</c> …) and a fallback language, in
/// Liquid (<see href="https://github.com/sebastienros/fluid">Fluid</see>): <c>{{ name }}</c>, <c>{% if %}</c>. Rendering
/// with data that lacks a placeholder fails before anything is sent, naming every missing one; an SMS template states
/// how many segments it may take. Right-to-left text (Urdu) is rendered as written: no encoding, no reordering.
/// </summary>
public sealed class NotificationTemplate
{
    static readonly FluidParser Parser = new();
    readonly Dictionary<string, (IFluidTemplate? Body, IFluidTemplate? Subject, string? Error)> _parsed = [];

    public NotificationTemplate(IReadOnlyDictionary<string, TemplateText> texts, string fallbackLanguage, int? maxSmsSegments = null)
    {
        if (!texts.ContainsKey(fallbackLanguage))
            throw new ArgumentException($"the fallback language '{fallbackLanguage}' has no text", nameof(fallbackLanguage));
        Texts = texts;
        FallbackLanguage = fallbackLanguage;
        MaxSmsSegments = maxSmsSegments;
        foreach (var (language, text) in texts)
        {
            var body = Parse(text.Body, out var bodyError);
            var subject = text.Subject is null ? null : Parse(text.Subject, out var subjectError) is var s && subjectError is null ? s : null;
            _parsed[language] = (body, subject, bodyError);
        }
    }

    public IReadOnlyDictionary<string, TemplateText> Texts { get; }

    public string FallbackLanguage { get; }

    public int? MaxSmsSegments { get; }

    /// <summary>Syntax errors, by language: a template with any is refused when it is saved.</summary>
    public IEnumerable<string> Problems() => _parsed.Where(p => p.Value.Error is not null).Select(p => $"{p.Key}: {p.Value.Error}");

    public Rendered Render(string? language, IReadOnlyDictionary<string, object?> data, bool sms)
    {
        var chosen = language is not null && Texts.ContainsKey(language) ? language : FallbackLanguage;
        var (body, subject, error) = _parsed[chosen];
        if (error is not null || body is null) return new Rendered.Refused([$"{chosen}: {error}"]);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        // Limits: a template is the department's, its data the caller's; neither may make rendering run away.
        var options = new TemplateOptionsBuilder()
            .WithMaxSteps(10_000)
            .WithMaxOutputSize(64 * 1024)
            .WithUndefined((name, _) =>
            {
                missing.Add(name);
                return ValueTask.FromResult<FluidValue>(NilValue.Instance);
            })
            .Build();
        var context = new TemplateContext(options);
        foreach (var (name, value) in data) context.SetValue(name, value ?? NilValue.Instance);
        var text = body.Render(context, NullEncoder.Default);
        var subjectText = subject?.Render(context, NullEncoder.Default);
        var problems = missing.Select(m => $"the data has no '{m}'").ToList();
        SmsShape? shape = null;
        if (sms)
        {
            shape = SmsEncoding.Of(text);
            if (MaxSmsSegments is { } max && shape.Segments > max)
                problems.Add($"the SMS takes {shape.Segments} segments ({shape.Alphabet}), more than the template's {max}");
        }
        return problems.Count > 0 ? new Rendered.Refused(problems) : new Rendered.Text(chosen, text, subjectText, shape);
    }

    static IFluidTemplate? Parse(string source, out string? error)
    {
        if (Parser.TryParse(source, out var template, out var message))
        {
            error = null;
            return template;
        }
        error = message;
        return null;
    }
}
