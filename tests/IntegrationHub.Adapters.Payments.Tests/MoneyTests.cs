using IntegrationHub.Adapters.Payments;

namespace IntegrationHub.Adapters.Payments.Tests;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("1500", "PKR", 150000)]
    [InlineData("1500.5", "PKR", 150050)]
    [InlineData("1500.05", "INR", 150005)]
    [InlineData("0.01", "USD", 1)]
    [InlineData("0", "USD", 0)]
    [InlineData("300", "JPY", 300)]
    [InlineData("1.234", "KWD", 1234)]
    [InlineData("007.10", "pkr", 710)]
    public void Amounts_are_read_exactly_into_minor_units(string amount, string currency, long minor)
    {
        Assert.True(Money.TryParse(amount, currency, out var money, out var problem), problem);
        Assert.Equal(minor, money!.Value.Minor);
        Assert.Equal(currency.ToUpperInvariant(), money.Value.Currency);
    }

    [Theory]
    [InlineData("1500.001", "PKR", "fraction digits")]
    [InlineData("1.5", "JPY", "fraction digits")]
    [InlineData("-5", "PKR", "not an amount")]
    [InlineData("+5", "PKR", "not an amount")]
    [InlineData("1e3", "PKR", "not an amount")]
    [InlineData("1,500", "PKR", "not an amount")]
    [InlineData(" 15", "PKR", "not an amount")]
    [InlineData("15.", "PKR", "not an amount")]
    [InlineData(".5", "PKR", "not an amount")]
    [InlineData("١٥٠٠", "PKR", "not an amount")] // Arabic-Indic digits are digits to char.IsDigit, not to money
    [InlineData("", "PKR", "at most 24")]
    [InlineData("99999999999999999999", "PKR", "larger than")]
    [InlineData("10000000000000.01", "PKR", "larger than")]
    [InlineData("100", "XXX", "not a currency")]
    [InlineData("100", "PK", "not a currency")]
    public void Anything_but_a_plain_amount_is_refused_with_a_reason(string amount, string currency, string reason)
    {
        Assert.False(Money.TryParse(amount, currency, out var money, out var problem));
        Assert.Null(money);
        Assert.Contains(reason, problem);
    }

    [Theory]
    [InlineData(150000, "PKR", "1500.00")]
    [InlineData(5, "INR", "0.05")]
    [InlineData(0, "USD", "0.00")]
    [InlineData(300, "JPY", "300")]
    [InlineData(1, "KWD", "0.001")]
    public void Amounts_are_written_with_the_currency_digits(long minor, string currency, string written) =>
        Assert.Equal(written, new Money(minor, currency).Amount);

    [Fact]
    public void Sums_and_differences_stay_in_one_currency()
    {
        var a = new Money(1000, "PKR");
        var b = new Money(250, "PKR");

        Assert.Equal(new Money(1250, "PKR"), a + b);
        Assert.Equal(new Money(750, "PKR"), a - b);
        Assert.True(b < a);
        Assert.Throws<InvalidOperationException>(() => b - a);
        Assert.Throws<InvalidOperationException>(() => a + new Money(1, "INR"));
        Assert.Throws<InvalidOperationException>(() => a < new Money(1, "USD"));
    }

    [Fact]
    public void Amounts_beyond_the_limit_or_negative_cannot_be_made()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Money(-1, "PKR"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Money(Money.MaxMinor + 1, "PKR"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Money(Money.MaxMinor, "PKR") + new Money(1, "PKR"));
        Assert.Throws<ArgumentException>(() => new Money(1, "ABC"));
    }
}
