package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// Each function below maps one provider's documented profile to an
// Identity. The verified flag is set only where the provider's documents
// say the address is verified; otherwise it stays false and the address
// cannot link accounts (see Identity.LinkableEmails).

// mapOIDC maps the OpenID Connect standard claims (ID token, then user-info):
// generic OIDC, LinkedIn, GitLab.
func mapOIDC(src profileSources) (Identity, error) {
	c, err := mergedStdClaims(src)
	if err != nil {
		return Identity{}, err
	}
	if c.Sub == "" {
		return Identity{}, errNoAccountID
	}
	user := c.PreferredUsername
	if user == "" {
		user = c.Nickname
	}
	name := c.Name
	if name == "" {
		name = joinName(c.GivenName, c.FamilyName)
	}
	return Identity{
		AccountID:   string(c.Sub),
		Username:    user,
		DisplayName: name,
		Emails:      emails(c.Email, bool(c.EmailVerified)),
		Photos:      photos(c.Picture),
	}, nil
}

// mapGoogle: Google's ID token carries sub, email, email_verified, name and
// picture when the email and profile scopes are granted.
func mapGoogle(src profileSources) (Identity, error) { return mapOIDC(src) }

// mapApple: the ID token carries sub, email and email_verified (as a string
// "true"); the name is never in the token and arrives only once, in the
// callback's "user" form field on the user's first sign-in. That field
// passes through the browser unsigned, so only the name is taken from it,
// never the email.
func mapApple(src profileSources) (Identity, error) {
	id, err := mapOIDC(profileSources{Claims: src.Claims})
	if err != nil {
		return id, err
	}
	// Apple's ID token has no name; whatever a token might carry, the
	// name is only ever the one from the first sign-in's callback.
	id.Username, id.DisplayName = "", ""
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if len(src.CallbackUser) > 0 && json.Unmarshal(src.CallbackUser, &u) == nil {
		id.DisplayName = joinName(u.Name.FirstName, u.Name.LastName)
	}
	return id, nil
}

// mapMicrosoft: the Microsoft identity platform's email claim is not
// verified by default (any tenant admin can set any address, "nOAuth");
// it counts as verified only with the optional xms_edov claim set true.
func mapMicrosoft(src profileSources) (Identity, error) {
	id, err := mapOIDC(src)
	if err != nil {
		return id, err
	}
	var extra struct {
		EDOV flexBool `json:"xms_edov"`
	}
	_ = decode(src.Claims, &extra)
	for i := range id.Emails {
		id.Emails[i].Verified = bool(extra.EDOV)
	}
	return id, nil
}

// mapGitHub: GET /user gives id, login, name, avatar_url; GET /user/emails
// lists every address with primary and verified flags.
func mapGitHub(src profileSources) (Identity, error) {
	var u struct {
		ID        flexString `json:"id"`
		Login     string     `json:"login"`
		Name      string     `json:"name"`
		AvatarURL string     `json:"avatar_url"`
		Email     string     `json:"email"`
	}
	if err := decode(src.UserInfo, &u); err != nil {
		return Identity{}, err
	}
	if u.ID == "" {
		return Identity{}, errNoAccountID
	}
	id := Identity{AccountID: string(u.ID), Username: u.Login, DisplayName: u.Name, Photos: photos(u.AvatarURL)}
	if len(src.Emails) > 0 {
		var list []struct {
			Email    string `json:"email"`
			Primary  bool   `json:"primary"`
			Verified bool   `json:"verified"`
		}
		if err := json.Unmarshal(src.Emails, &list); err != nil {
			return Identity{}, fmt.Errorf("emails: %w", err)
		}
		for _, e := range list {
			id.Emails = append(id.Emails, Email{Address: e.Email, Verified: e.Verified, Primary: e.Primary})
		}
	} else {
		// Without the emails endpoint nothing says the public address is verified.
		id.Emails = emails(u.Email, false)
	}
	return id, nil
}

// mapDiscord: GET /users/@me gives id, username, global_name, avatar (a
// hash), email and verified (whether that email is verified).
func mapDiscord(src profileSources) (Identity, error) {
	var u struct {
		ID         flexString `json:"id"`
		Username   string     `json:"username"`
		GlobalName string     `json:"global_name"`
		Avatar     string     `json:"avatar"`
		Email      string     `json:"email"`
		Verified   bool       `json:"verified"`
	}
	if err := decode(src.UserInfo, &u); err != nil {
		return Identity{}, err
	}
	if u.ID == "" {
		return Identity{}, errNoAccountID
	}
	var photo string
	if u.Avatar != "" {
		photo = "https://cdn.discordapp.com/avatars/" + url.PathEscape(string(u.ID)) + "/" + url.PathEscape(u.Avatar) + ".png"
	}
	return Identity{
		AccountID: string(u.ID), Username: u.Username, DisplayName: u.GlobalName,
		Emails: emails(u.Email, u.Verified), Photos: photos(photo),
	}, nil
}

// mapTwitter: GET /2/users/me gives {"data": {id, name, username,
// profile_image_url}}; confirmed_email only with the users.email scope,
// and it is confirmed by X.
func mapTwitter(src profileSources) (Identity, error) {
	var body struct {
		Data struct {
			ID              flexString `json:"id"`
			Name            string     `json:"name"`
			Username        string     `json:"username"`
			ProfileImageURL string     `json:"profile_image_url"`
			ConfirmedEmail  string     `json:"confirmed_email"`
		} `json:"data"`
	}
	if err := decode(src.UserInfo, &body); err != nil {
		return Identity{}, err
	}
	u := body.Data
	if u.ID == "" {
		return Identity{}, errNoAccountID
	}
	return Identity{
		AccountID: string(u.ID), Username: u.Username, DisplayName: u.Name,
		Emails: emails(u.ConfirmedEmail, true), Photos: photos(u.ProfileImageURL),
	}, nil
}

// mapFacebook: GET /me?fields=id,name,email,picture. Facebook does not
// state that the email is verified, so it is not treated as verified.
func mapFacebook(src profileSources) (Identity, error) {
	var u struct {
		ID      flexString `json:"id"`
		Name    string     `json:"name"`
		Email   string     `json:"email"`
		Picture struct {
			Data struct {
				URL string `json:"url"`
			} `json:"data"`
		} `json:"picture"`
	}
	if err := decode(src.UserInfo, &u); err != nil {
		return Identity{}, err
	}
	if u.ID == "" {
		return Identity{}, errNoAccountID
	}
	return Identity{
		AccountID: string(u.ID), DisplayName: u.Name,
		Emails: emails(u.Email, false), Photos: photos(u.Picture.Data.URL),
	}, nil
}

// mapTwitch: GET /helix/users gives {"data": [{id, login, display_name,
// profile_image_url, email}]}; Twitch documents email as the user's
// verified address.
func mapTwitch(src profileSources) (Identity, error) {
	var body struct {
		Data []struct {
			ID              flexString `json:"id"`
			Login           string     `json:"login"`
			DisplayName     string     `json:"display_name"`
			ProfileImageURL string     `json:"profile_image_url"`
			Email           string     `json:"email"`
		} `json:"data"`
	}
	if err := decode(src.UserInfo, &body); err != nil {
		return Identity{}, err
	}
	if len(body.Data) == 0 || body.Data[0].ID == "" {
		return Identity{}, errNoAccountID
	}
	u := body.Data[0]
	return Identity{
		AccountID: string(u.ID), Username: u.Login, DisplayName: u.DisplayName,
		Emails: emails(u.Email, true), Photos: photos(u.ProfileImageURL),
	}, nil
}

// mapBitbucket: GET /2.0/user gives uuid, nickname, display_name and
// links.avatar.href; GET /2.0/user/emails lists addresses with is_primary
// and is_confirmed.
func mapBitbucket(src profileSources) (Identity, error) {
	var u struct {
		UUID        string `json:"uuid"`
		AccountID   string `json:"account_id"`
		Nickname    string `json:"nickname"`
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Links       struct {
			Avatar struct {
				Href string `json:"href"`
			} `json:"avatar"`
		} `json:"links"`
	}
	if err := decode(src.UserInfo, &u); err != nil {
		return Identity{}, err
	}
	acct := u.UUID
	if acct == "" {
		acct = u.AccountID
	}
	if acct == "" {
		return Identity{}, errNoAccountID
	}
	user := u.Username
	if user == "" {
		user = u.Nickname
	}
	id := Identity{AccountID: acct, Username: user, DisplayName: u.DisplayName, Photos: photos(u.Links.Avatar.Href)}
	if len(src.Emails) > 0 {
		var list struct {
			Values []struct {
				Email       string `json:"email"`
				IsPrimary   bool   `json:"is_primary"`
				IsConfirmed bool   `json:"is_confirmed"`
			} `json:"values"`
		}
		if err := json.Unmarshal(src.Emails, &list); err != nil {
			return Identity{}, fmt.Errorf("emails: %w", err)
		}
		for _, e := range list.Values {
			id.Emails = append(id.Emails, Email{Address: e.Email, Verified: e.IsConfirmed, Primary: e.IsPrimary})
		}
	}
	return id, nil
}

// mapSpotify: GET /v1/me gives id, display_name, email, images. Spotify's
// reference says the email "is unverified; there is no proof it actually
// belongs to the user", so it never links accounts.
func mapSpotify(src profileSources) (Identity, error) {
	var u struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
		Images      []struct {
			URL string `json:"url"`
		} `json:"images"`
	}
	if err := decode(src.UserInfo, &u); err != nil {
		return Identity{}, err
	}
	if u.ID == "" {
		return Identity{}, errNoAccountID
	}
	id := Identity{AccountID: u.ID, Username: u.ID, DisplayName: u.DisplayName, Emails: emails(u.Email, false)}
	for _, img := range u.Images {
		id.Photos = append(id.Photos, photos(img.URL)...)
	}
	return id, nil
}

// mapTikTok: GET /v2/user/info/?fields=… gives {"data": {"user": {open_id,
// union_id, avatar_url, display_name, username}}, "error": {"code": "ok"}}.
// TikTok shares no email.
func mapTikTok(src profileSources) (Identity, error) {
	var body struct {
		Data struct {
			User struct {
				OpenID      string `json:"open_id"`
				AvatarURL   string `json:"avatar_url"`
				DisplayName string `json:"display_name"`
				Username    string `json:"username"`
			} `json:"user"`
		} `json:"data"`
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := decode(src.UserInfo, &body); err != nil {
		return Identity{}, err
	}
	if body.Error.Code != "" && body.Error.Code != "ok" {
		return Identity{}, fmt.Errorf("tiktok error %q", body.Error.Code)
	}
	u := body.Data.User
	if u.OpenID == "" {
		return Identity{}, errNoAccountID
	}
	return Identity{AccountID: u.OpenID, Username: u.Username, DisplayName: u.DisplayName, Photos: photos(u.AvatarURL)}, nil
}

// mapLine: the ID token carries sub, name, picture and, with the email
// permission, email. LINE does not state the email is verified.
func mapLine(src profileSources) (Identity, error) {
	id, err := mapOIDC(src)
	if err != nil {
		return id, err
	}
	for i := range id.Emails {
		id.Emails[i].Verified = false
	}
	return id, nil
}

// mapCoinbase: GET /v2/user gives {"data": {id, name, username, avatar_url,
// email}}. Coinbase does not state the email is verified in this response.
func mapCoinbase(src profileSources) (Identity, error) {
	var body struct {
		Data struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Username  string `json:"username"`
			AvatarURL string `json:"avatar_url"`
			Email     string `json:"email"`
		} `json:"data"`
	}
	if err := decode(src.UserInfo, &body); err != nil {
		return Identity{}, err
	}
	u := body.Data
	if u.ID == "" {
		return Identity{}, errNoAccountID
	}
	return Identity{
		AccountID: u.ID, Username: u.Username, DisplayName: u.Name,
		Emails: emails(u.Email, false), Photos: photos(u.AvatarURL),
	}, nil
}

// mapEpicGames: GET /epic/oauth/v2/userInfo gives sub (the Epic account id)
// and preferred_username (the display name); Epic shares no email.
func mapEpicGames(src profileSources) (Identity, error) {
	var u struct {
		Sub               string `json:"sub"`
		PreferredUsername string `json:"preferred_username"`
	}
	if err := decode(src.UserInfo, &u); err != nil {
		return Identity{}, err
	}
	if u.Sub == "" {
		return Identity{}, errNoAccountID
	}
	return Identity{AccountID: u.Sub, Username: u.PreferredUsername, DisplayName: u.PreferredUsername}, nil
}

// mapProfile runs a mapping and wraps its failure as ErrExchangeFailed: a
// provider whose profile cannot be read has not signed anyone in.
func mapProfile(fn func(profileSources) (Identity, error), src profileSources) (Identity, error) {
	id, err := fn(src)
	if err != nil {
		if errors.Is(err, errNoAccountID) {
			return Identity{}, fmt.Errorf("%w: %w", ErrExchangeFailed, err)
		}
		return Identity{}, fmt.Errorf("%w: profile: %w", ErrExchangeFailed, err)
	}
	id.Raw = src.raw()
	return id, nil
}
