package actions

// Spec describes an action a playbook step can name: its arguments. The
// table of every action, with how each is built, is internal/app's.
type Spec struct {
	Name     string
	Summary  string
	Required []string
	Optional []string
}
