// Package styles turns firebreak's one theme into the lipgloss styles the
// console draws with. Colours are adaptive (light and dark terminals) and
// never carry meaning alone: every state also has a word or an icon.
package styles

import "github.com/charmbracelet/lipgloss"

// Styles are the console's styles, built once.
type Styles struct {
	Title, Header, Selected, Muted, Bad, Good, Warn, Status, Drill, Key, Border lipgloss.Style
}

// New builds the styles; noColor drops every colour (NO_COLOR, --no-color).
func New(noColor bool) Styles {
	c := func(light, dark string) lipgloss.TerminalColor {
		if noColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	return Styles{
		Title:    lipgloss.NewStyle().Bold(true).Foreground(c("#1F4E8C", "#8AB4F8")),
		Header:   lipgloss.NewStyle().Bold(true),
		Selected: lipgloss.NewStyle().Bold(true).Reverse(true),
		Muted:    lipgloss.NewStyle().Foreground(c("#6B6B6B", "#9A9A9A")),
		Bad:      lipgloss.NewStyle().Bold(true).Foreground(c("#B3261E", "#F28B82")),
		Good:     lipgloss.NewStyle().Foreground(c("#1E7F34", "#81C995")),
		Warn:     lipgloss.NewStyle().Bold(true).Foreground(c("#9A6700", "#FDD663")),
		Status:   lipgloss.NewStyle().Reverse(true),
		Drill:    lipgloss.NewStyle().Bold(true).Foreground(c("#9A6700", "#FDD663")),
		Key:      lipgloss.NewStyle().Bold(true),
		Border:   lipgloss.NewStyle().Foreground(c("#BDBDBD", "#5F6368")),
	}
}
