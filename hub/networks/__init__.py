"""Networks: the list of linked incidents and the link chart for analysts and police; counts for borough officers."""
