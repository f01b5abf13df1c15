package store_test

import (
	"fmt"

	"menwei/controller/policy"
	"menwei/controller/store"
)

// A subscriber sees what committed, after the commit, and never a refused
// write.
func ExampleStore_SubscribeChanges() {
	s, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	cancel := s.SubscribeChanges(func(c store.Change) { fmt.Println(c) })
	defer cancel()

	li := store.Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}
	_ = s.PutIdentityWith(li, []store.Credential{{Kind: policy.Card, Key: "1:1234"}})
	wang := store.Identity{ID: "wang", Kind: policy.Resident, Name: "Wang Fang"}
	err = s.PutIdentityWith(wang, []store.Credential{{Kind: policy.Card, Key: "1:1234"}}) // li's card
	fmt.Println(err)
	_ = s.SetBlacklisted(policy.Card, "1:1234", true)
	// Output:
	// identity.put li
	// credential.put card of li
	// credential 1 of 1: store: card already belongs to another identity (li)
	// credential.put card of li
}
